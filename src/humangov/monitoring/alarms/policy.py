"""Alarm policy and notification settings as plain, validated data (the YAML's `alarm:`,
`notify:`, `silences:` and `deadman:` sections)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FailuresWithin(_Strict):
    count: int = Field(ge=1)
    window: timedelta


class AlarmPolicy(_Strict):
    """When a check goes to ALARM and back. Exactly one condition applies; the default is
    two failures in a row (a failed run triggers a quick confirmation re-check)."""

    failures_in_a_row: int | None = Field(None, ge=1)
    m_of_n: tuple[int, int] | None = None
    failures_within: FailuresWithin | None = None
    recover_after: int = Field(1, ge=1)
    # Reminders while in ALARM are off by default.
    remind_every: timedelta | None = None
    # Re-run a failed check after this delay instead of waiting a whole interval.
    confirm_after: timedelta | None = timedelta(seconds=1)

    @model_validator(mode="after")
    def _one_condition(self):
        given = [n for n in ("failures_in_a_row", "m_of_n", "failures_within") if getattr(self, n)]
        if len(given) > 1:
            raise ValueError(f"give only one alarm condition, not {' and '.join(given)}")
        if self.m_of_n is not None:
            m, n = self.m_of_n
            if not 1 <= m <= n:
                raise ValueError("m_of_n must be [M, N] with 1 <= M <= N")
        if not given:
            object.__setattr__(self, "failures_in_a_row", 2)
        return self


class SlackChannel(_Strict):
    webhook_url: SecretStr | None = None
    webhook_url_file: str | None = None


class WebhookChannel(_Strict):
    url: SecretStr
    name: str = "webhook"


class NotifyConfig(_Strict):
    slack: SlackChannel | None = None
    webhooks: list[WebhookChannel] = []


class Silence(_Strict):
    """A maintenance window or silence: one-off (start/end) or recurring (cron + duration)."""

    name: str
    checks: list[str] = ["*"]  # glob patterns of check names
    start: str | None = None  # ISO-8601, one-off
    end: str | None = None
    cron: str | None = None  # croniter expression, recurring
    duration: timedelta | None = None

    @model_validator(mode="after")
    def _shape(self):
        one_off = self.start is not None and self.end is not None
        recurring = self.cron is not None and self.duration is not None
        if one_off == recurring:
            raise ValueError("a silence has either start and end, or cron and duration")
        return self


class DeadmanConfig(_Strict):
    url: SecretStr
    interval: timedelta = timedelta(minutes=1)
