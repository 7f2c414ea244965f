"""One settings object, read from HUMANGOV_* variables and validated at start-up."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from humangov.private_files import private_file

PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "password", "admin"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUMANGOV_", extra="ignore")

    environment: Literal["development", "production", "test"] = "development"
    backend: Literal["embedded", "aws"] = "embedded"
    data_dir: Path = Path("var")
    host: str = "127.0.0.1"
    port: int = 8000
    # The public base URL, used in links (Slack messages, canaries). Defaults to host:port.
    base_url: str | None = None

    admin_email: str = "admin@humangov.local"
    admin_password: SecretStr | None = None
    # Signs the cookie that carries a visitor's form token and messages before they log in;
    # generated and kept in the data dir when unset.
    secret_key: SecretStr | None = None

    max_document_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    # /readyz answers 503 when the documents disk has less free space than this (0: never).
    min_free_bytes: int = Field(256 * 1024 * 1024, ge=0)
    # Failed logins (per client, per account) before each further try must wait a delay.
    login_attempts_per_minute: int = Field(5, ge=1)
    # The proxies (comma-separated addresses or CIDRs, "*" for any) whose X-Forwarded-For and
    # X-Forwarded-Proto are believed. Empty: none, the client is the TCP peer.
    forwarded_allow_ips: str = ""
    # A login ends after this long without a request, and this long after it began, whatever.
    session_idle: timedelta = timedelta(minutes=30)
    session_lifetime: timedelta = timedelta(hours=12)
    # The canaries' own users (comma-separated emails), whose records and tokens' records are
    # synthetic: on AWS the Synthetics canaries log in as these. (`serve` marks its built-in
    # canary itself.)
    canary_emails: str = ""

    # erasure
    # Who drains the erasure outbox: `serve` itself, or (off) a `humangov worker` run beside it.
    erasure_worker: Literal["in-process", "off"] = "in-process"
    # A failing erasure retries, backing off up to an hour, until this long after its request;
    # then it is a dead letter (and alerts). Long enough that an outage of hours loses nothing.
    erasure_retry_for: timedelta = timedelta(hours=24)
    # The local `stream-worker` blocks its shard while it retries, so it counts attempts.
    erasure_max_attempts: int = Field(8, ge=1)
    erasure_base_backoff_seconds: float = Field(1.0, gt=0)
    erasure_max_backoff_seconds: float = Field(3600.0, gt=0)
    erasure_poll_seconds: float = Field(0.05, gt=0)
    # Who runs the daily orphan sweep: `serve` itself, or (off) a scheduler running
    # `humangov orphans daily` (on AWS, an EventBridge rule: one task however many serve).
    sweep_schedule: Literal["in-process", "off"] = "in-process"
    sweep_interval: timedelta = timedelta(days=1)
    sweep_grace: timedelta = timedelta(hours=24)
    # Who checks erasure requests (closes, marks overdue and alarms, purges), and how often:
    # `serve`, or (off) a scheduler running `humangov requests check` (on AWS, an hourly rule).
    requests_schedule: Literal["in-process", "off"] = "in-process"
    requests_check_interval: timedelta = timedelta(hours=1)
    # The retention run in `serve` (off: `humangov retention daily` from a scheduler), and
    # how many days past its date an item may be before it is reported (AWS TTL is not instant).
    retention_schedule: Literal["in-process", "off"] = "in-process"
    retention_interval: timedelta = timedelta(days=1)
    retention_late_days: int = 2

    # monitoring and alarms
    monitoring: bool = True
    monitoring_config: Path | None = None
    slack_webhook_url: SecretStr | None = None
    slack_webhook_url_file: Path | None = None
    # Browser-canary screenshots: a passing run's are kept this long, a failing run's for the
    # raw retention; all of them within this many bytes, oldest (passing first) deleted first.
    canary_artifacts_keep_passing: timedelta = timedelta(hours=24)
    canary_artifacts_budget: int = Field(500 * 1024 * 1024, ge=0)

    # AWS
    aws_region: str = "us-east-1"
    aws_table_pattern: str = "humangov-{state}-records"
    aws_bucket_pattern: str = "humangov-{state}-documents"
    aws_ledger_table: str = "humangov-erasure-ledger"
    # users, tokens and the states registry; and stream records that exhausted their retries
    aws_platform_table: str = "humangov-platform"
    aws_dead_letter_table: str = "humangov-erasure-dead-letters"
    # Earlier applications' tables whose streams the erasure Lambda and `stream-worker` read
    # (issue 12), per state: {"CA": {"table": "humangov-california-dynamodb",
    # "bucket": "humangov-california-s3-abcd"}}; HUMANGOV_AWS_LEGACY takes it as JSON.
    aws_legacy: dict[str, dict[str, str]] = {}

    @field_validator("admin_password", "secret_key")
    @classmethod
    def refuse_placeholders(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is not None and value.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS:
            raise ValueError(f"{info.field_name} is a placeholder; choose a real secret")
        return value

    @property
    def database_path(self) -> Path:
        return self.data_dir / "humangov.db"

    @property
    def documents_dir(self) -> Path:
        return self.data_dir / "documents"

    @property
    def public_url(self) -> str:
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")

    def session_secret(self) -> str:
        """The cookie-signing key: from settings, else one generated once per data dir."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.data_dir / "secret_key"
        if not path.exists():
            private_file(path).write_text(secrets.token_urlsafe(48))
        return path.read_text().strip()
