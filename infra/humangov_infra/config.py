"""The infrastructure's inputs: infra/states.yaml, overridden key by key by CDK context.

Pure Python (no CDK imports), so the rules are tested without starting jsii.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from humangov.domain.states import STATE_NAMES  # the pure domain module: no app start-up

REPO = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = REPO / "infra" / "states.yaml"

ALL_STATES = list(STATE_NAMES)


class InfraConfigError(ValueError):
    """A configuration the app cannot be built from; the message says what to change."""


@dataclass(frozen=True)
class InfraConfig:
    states: tuple[str, ...]
    domain: str
    region: str = "us-east-1"
    certificate_arn: str | None = None
    hosted_zone_id: str | None = None
    table_pattern: str = "humangov-{state}-records"
    bucket_pattern: str = "humangov-{state}-documents"
    ledger_table: str = "humangov-erasure-ledger"
    # The runtime's Settings.aws_platform_table / aws_dead_letter_table (same defaults).
    platform_table: str = "humangov-platform"
    dead_letter_table: str = "humangov-erasure-dead-letters"
    object_lock: bool = False
    canary_checks: Path = REPO / "infra" / "canary-checks.yaml"
    canary_token_secret: str | None = None
    # The browser canary's login, per state: a secret name or ARN, {state} = the state's code.
    canary_login_secret: str | None = None
    # The canary user of each state ({state} = its code in lower case): the app treats what
    # these users and their tokens create as synthetic (HUMANGOV_CANARY_EMAILS).
    canary_email: str = "canary-{state}@humangov.local"
    slack_lambda: bool = True
    slack_webhook_secret: str | None = "humangov/slack-webhook"
    chatbot: bool = False
    chatbot_workspace_id: str | None = None
    chatbot_channel_id: str | None = None
    canary_alarm_datapoints: int = 3
    canary_alarm_periods: int = 5
    # Days past its date a retention item may still exist before it alarms (TTL deletes come
    # within days; the runtime's Settings.retention_late_days).
    retention_late_days: int = 2
    # How often each state's canary runs, in minutes (docs/aws.md, "Cost": a browser run
    # every minute in 50 states costs about $2,600 a month; every 5 minutes, about $520).
    canary_every: int = 5
    canary_every_per_state: dict[str, int] = field(default_factory=dict)
    # Earlier applications' tables to stop orphans on (issue 12), per state:
    # {"CA": {"table": ..., "bucket": ..., "stream_arn": ...}}; see docs/aws.md.
    legacy: dict[str, dict[str, str]] = field(default_factory=dict)

    def table_name(self, state: str) -> str:
        return self.table_pattern.format(state=state.lower())

    def bucket_name(self, state: str) -> str:
        return self.bucket_pattern.format(state=state.lower())

    def host_name(self, state: str) -> str:
        return f"{state.lower()}.{self.domain}"

    def canary_emails(self) -> str:
        return ",".join(self.canary_email.format(state=s.lower()) for s in self.states)

    def canary_minutes(self, state: str) -> int:
        """Minutes between the state's canary runs: its override, else `canary_every`."""
        return self.canary_every_per_state.get(state, self.canary_every)


def parse_states(value: Any) -> tuple[str, ...]:
    """`all`, `CA,TX`, or a YAML list -> USPS codes in the given order, no duplicates."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("all", "")):
        return tuple(ALL_STATES)
    items = value.split(",") if isinstance(value, str) else list(value)
    codes: list[str] = []
    for item in items:
        code = str(item).strip().upper()
        if not code:
            continue
        if code not in ALL_STATES:
            raise InfraConfigError(
                f"states: {item!r} is not a US state; use USPS codes such as CA,TX or 'all'"
            )
        if code not in codes:
            codes.append(code)
    if not codes:
        raise InfraConfigError("states: the list is empty; use USPS codes such as CA,TX or 'all'")
    return tuple(codes)


def _as_bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "yes", "on"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "0", "no", "off"):
        return False
    raise InfraConfigError(f"{key}: expected true or false, got {value!r}")


def load(
    context: Callable[[str], Any] = lambda key: None,
    path: Path = DEFAULT_CONFIG,
) -> InfraConfig:
    """Read `path`, then let each non-empty context value (e.g. `-c states=CA,TX`) win."""
    data = _read(path)
    for key in {f.name for f in fields(InfraConfig)}:
        override = context(key)
        if override is not None and override != "":
            data[key] = override
    config = InfraConfig(**_typed(data))
    _check_together(config)
    return config


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
    except OSError as exc:
        raise InfraConfigError(f"cannot read {path}: {exc.strerror}") from None
    if not isinstance(data, dict):
        raise InfraConfigError(f"{path}: expected a mapping of settings")
    unknown = sorted(set(data) - {f.name for f in fields(InfraConfig)})
    if unknown:
        raise InfraConfigError(f"{path}: unknown setting(s) {', '.join(unknown)}")
    return data


def _typed(data: dict[str, Any]) -> dict[str, Any]:
    """The settings given (YAML or context strings), as InfraConfig's field types."""
    values: dict[str, Any] = {k: v for k, v in data.items() if v is not None}
    values["states"] = parse_states(data.get("states"))
    if not values.get("domain"):
        raise InfraConfigError("domain: required, e.g. humangov.example.gov")
    for key in ("object_lock", "slack_lambda", "chatbot"):
        if key in values:
            values[key] = _as_bool(key, values[key])
    for key in ("canary_alarm_datapoints", "canary_alarm_periods", "retention_late_days"):
        if key in values:
            values[key] = int(values[key])
    if "canary_checks" in values:
        checks = Path(values["canary_checks"])
        values["canary_checks"] = checks if checks.is_absolute() else REPO / checks
    for key in ("table_pattern", "bucket_pattern"):
        if "{state}" not in str(values.get(key, "{state}")):
            raise InfraConfigError(f"{key}: must contain {{state}}")
    if "legacy" in values:
        values["legacy"] = parse_legacy(values["legacy"], values["states"])
    if "canary_every" in values:
        values["canary_every"] = parse_minutes("canary_every", values["canary_every"])
    if "canary_every_per_state" in values:
        values["canary_every_per_state"] = parse_canary_overrides(
            values["canary_every_per_state"], values["states"])
    return values


_EVERY = re.compile(r"\s*(\d+)\s*(m|min|minutes?|h|hours?)?\s*", re.IGNORECASE)
CANARY_MAX_MINUTES = 60  # Synthetics rate schedules: 1 minute to 1 hour


def parse_minutes(key: str, value: Any) -> int:
    """`5`, `5m` or `1h` -> minutes between canary runs, 1 to 60."""
    match = _EVERY.fullmatch(str(value))
    if match is None or isinstance(value, bool):
        raise InfraConfigError(f"{key}: expected minutes such as 5, 5m or 1h, got {value!r}")
    minutes = int(match[1]) * (60 if (match[2] or "m").lower().startswith("h") else 1)
    if not 1 <= minutes <= CANARY_MAX_MINUTES:
        raise InfraConfigError(f"{key}: {value!r} is outside 1m to 1h")
    return minutes


def per_state(key: str, value: Any, states: tuple[str, ...], shape: str) -> dict[str, Any]:
    """A per-state setting (a mapping, or its JSON from `-c key=...`) -> {CODE: entry}, each
    for a deployed state; `shape` shows what to write."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise InfraConfigError(f"{key}: not JSON ({exc.msg})") from None
    if not isinstance(value, dict):
        raise InfraConfigError(f"{key}: expected {shape}")
    out: dict[str, Any] = {}
    for state, entry in value.items():
        code = str(state).upper()
        if code not in states:
            raise InfraConfigError(f"{key}: {state} is not among the deployed states")
        out[code] = entry
    return out


def parse_canary_overrides(value: Any, states: tuple[str, ...]) -> dict[str, int]:
    """`canary_every_per_state` -> {state: minutes between runs}."""
    key = "canary_every_per_state"
    return {code: parse_minutes(f"{key}.{code}", every) for code, every
            in per_state(key, value, states, '{"CA": "1m", ...}').items()}


LEGACY_KEYS = ("table", "bucket", "stream_arn")
_STREAM_ARN = re.compile(r"arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table/([^/]+)/stream/.+")


def parse_legacy(value: Any, states: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """`legacy` (a mapping, or its JSON from `-c legacy=...`) -> {state: {table, bucket,
    stream_arn}}, each for a deployed state, the stream ARN on that very table."""
    entries = per_state("legacy", value, states,
                        '{"CA": {"table": ..., "bucket": ..., "stream_arn": ...}}')
    out: dict[str, dict[str, str]] = {}
    for code, entry in entries.items():
        missing = [k for k in LEGACY_KEYS if not isinstance(entry, dict) or not entry.get(k)]
        if missing:
            raise InfraConfigError(f"legacy: {code} needs {', '.join(missing)}")
        match = _STREAM_ARN.fullmatch(entry["stream_arn"])
        if match is None or match[1] != entry["table"]:
            raise InfraConfigError(
                f"legacy: {code}'s stream_arn must be the stream of {entry['table']} "
                "(aws dynamodb describe-table --query Table.LatestStreamArn)")
        out[code] = {k: str(entry[k]) for k in LEGACY_KEYS}
    return out


def _check_together(config: InfraConfig) -> None:
    """Settings that are valid alone but not in combination."""
    if config.chatbot and not (config.chatbot_workspace_id and config.chatbot_channel_id):
        raise InfraConfigError("chatbot: true needs chatbot_workspace_id and chatbot_channel_id")
    if config.chatbot and config.slack_lambda:
        raise InfraConfigError(
            "chatbot and slack_lambda are both true: every alarm would reach Slack twice; "
            "turn one off (slack_lambda: false to use Chatbot)")
    if config.slack_lambda and not config.slack_webhook_secret:
        raise InfraConfigError("slack_lambda: true needs slack_webhook_secret (a name or ARN)")
    if not 1 <= config.canary_alarm_datapoints <= config.canary_alarm_periods:
        raise InfraConfigError("canary_alarm_datapoints must be between 1 and canary_alarm_periods")
