"""Checks as code: the monitoring YAML, validated with pydantic.

An invalid file is refused with one line per problem, each naming the field's path:
`checks[2].interval: must be at least 1s`.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from humangov.domain.states import STATE_NAMES
from humangov.monitoring.alarms.policy import AlarmPolicy, DeadmanConfig, NotifyConfig, Silence

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


class ConfigError(Exception):
    """A monitoring file that cannot be used. `lines` holds one `path: reason` per problem."""

    def __init__(self, lines: list[str], source: str = "monitoring config") -> None:
        self.lines = lines
        super().__init__(f"{source} is invalid:\n" + "\n".join(f"  {line}" for line in lines))


def parse_duration(value: Any) -> timedelta:
    """`500ms`, `5s`, `1m`, `1h`, `1d`, a number of seconds, or a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        # ValueError, not TypeError: pydantic reports only the former as a validation error.
        raise ValueError("must be a duration such as 500ms, 5s, 1m or 1h")
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])
    raise ValueError(f"must be a duration such as 500ms, 5s, 1m or 1h, not {str(value)[:30]!r}")


def format_duration(value: timedelta) -> str:
    seconds = value.total_seconds()
    for unit, size in (("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{round(seconds * 1000)}ms"


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Expect(_Strict):
    """Assertions on one HTTP response. Everything given must hold."""

    status: int | list[int] | None = 200
    keyword: str | None = None
    regex: str | None = None
    # {"$.status": "ok"}: jsonpath -> the value it must equal
    json_: dict[str, Any] | None = Field(None, alias="json")
    max_latency: Duration | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"is not a valid regular expression ({exc})") from None
        return value

    @field_validator("json_")
    @classmethod
    def _paths_parse(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        from jsonpath_ng.exceptions import JsonPathParserError
        from jsonpath_ng.ext import parse

        for path in value or {}:
            try:
                parse(path)
            except (JsonPathParserError, Exception) as exc:  # noqa: BLE001 - the parser raises bare Exceptions too
                raise ValueError(f"{path!r} is not a valid JSONPath ({exc})") from None
        return value


_CHECK_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$"


class _CheckBase(_Strict):
    name: str = Field(pattern=_CHECK_NAME)
    interval: Duration = timedelta(minutes=1)
    timeout: Duration = timedelta(seconds=10)
    # Each run starts up to `jitter` late, at random, so checks don't fire in lockstep.
    jitter: Duration = timedelta(0)
    tags: list[str] = []
    state: str | None = None
    alarm: AlarmPolicy = AlarmPolicy()

    @field_validator("interval")
    @classmethod
    def _interval_floor(cls, value: timedelta) -> timedelta:
        if value < timedelta(seconds=1):
            raise ValueError("must be at least 1s")
        return value

    @field_validator("timeout")
    @classmethod
    def _timeout_positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be longer than 0s")
        return value

    @field_validator("state")
    @classmethod
    def _state_code(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = value.strip().upper()
        if code not in STATE_NAMES:
            raise ValueError(f"{value!r} is not a US state; use a USPS code such as CA")
        return code

    @model_validator(mode="after")
    def _timeout_within_interval(self):
        # A run longer than its interval would overlap the next one; refuse it up front.
        if self.timeout > self.interval:
            raise ValueError(
                f"timeout ({format_duration(self.timeout)}) must not be longer than "
                f"interval ({format_duration(self.interval)})"
            )
        if self.jitter >= self.interval:
            raise ValueError("jitter must be shorter than interval")
        return self


class HeartbeatCheck(_CheckBase):
    type: Literal["heartbeat"]
    # One URL, or a group: one check over many URLs (e.g. every state's home page), which
    # fails naming the members that failed instead of raising fifty separate alarms.
    url: str | None = None
    urls: dict[str, str] | list[str] | None = None
    method: str = "GET"
    headers: dict[str, str] = {}
    expect: Expect = Expect()
    # Over https, fail when the certificate expires within this many days.
    tls_expiry_days: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _one_target(self):
        if (self.url is None) == (self.urls is None):
            raise ValueError("give either url or urls")
        if self.urls is not None and not self.urls:
            raise ValueError("urls must not be empty")
        return self

    def targets(self) -> dict[str, str]:
        """Member label -> URL. A single-URL check has one member named after the check."""
        if self.url is not None:
            return {self.name: self.url}
        if isinstance(self.urls, dict):
            return dict(self.urls)
        return {url: url for url in self.urls or []}


class ApiStep(_Strict):
    name: str
    method: str = "GET"
    url: str
    headers: dict[str, str] = {}
    json_: Any = Field(None, alias="json")
    body: str | None = None
    # variable -> jsonpath into this step's response; later steps use ${variable}
    capture: dict[str, str] = {}
    expect: Expect = Expect()

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _one_body(self):
        if self.json_ is not None and self.body is not None:
            raise ValueError("give json or body, not both")
        return self


class ApiCheck(_CheckBase):
    type: Literal["api"]
    # Starting variables; `${env:NAME}` is not supported on purpose: use headers from env below.
    variables: dict[str, str] = {}
    # variable -> environment variable name, for secrets that must not be written in YAML
    secrets_env: dict[str, str] = {}
    steps: list[ApiStep] = Field(min_length=1)


class LifecycleCheck(_CheckBase):
    type: Literal["lifecycle"]
    interval: Duration = timedelta(minutes=1)
    timeout: Duration = timedelta(seconds=50)
    base_url: str
    state: str = "CA"
    # The NAME of the environment variable holding the API token; never the token itself.
    token_env: str = "HUMANGOV_CANARY_TOKEN"
    erasure_sla: Duration = timedelta(seconds=30)
    poll_interval: Duration = timedelta(milliseconds=250)


class BrowserCheck(_CheckBase):
    type: Literal["browser"]
    interval: Duration = timedelta(minutes=5)
    timeout: Duration = timedelta(seconds=90)
    base_url: str
    state: str = "CA"
    email: str
    password_env: str = "HUMANGOV_CANARY_PASSWORD"
    executable_path: str = "/usr/bin/chromium"


CheckConfig = Annotated[
    HeartbeatCheck | ApiCheck | LifecycleCheck | BrowserCheck, Field(discriminator="type")
]


class RetentionConfig(_Strict):
    raw: Duration = timedelta(days=31)  # as CloudWatch Synthetics keeps run data
    hourly: Duration = timedelta(days=400)


class MonitoringConfig(_Strict):
    checks: list[CheckConfig] = []
    max_concurrency: int = Field(200, ge=1)
    retention: RetentionConfig = RetentionConfig()
    notify: NotifyConfig | None = None
    silences: list[Silence] = []
    deadman: DeadmanConfig | None = None

    @field_validator("checks")
    @classmethod
    def _unique_names(cls, checks: list) -> list:
        seen: set[str] = set()
        for check in checks:
            if check.name in seen:
                raise ValueError(f"check name {check.name!r} is used twice; names must be unique")
            seen.add(check.name)
        return checks

    def check(self, name: str):
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(name)


def _loc(loc: tuple) -> str:
    """('checks', 2, 'heartbeat', 'interval') -> 'checks[2].interval'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("heartbeat", "api", "lifecycle", "browser") or "[" in str(part):
            continue  # the union's tag, which the user never wrote
        elif part == "json_":
            out += ".json"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _message(error: ErrorDetails) -> str:
    msg = error["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    if error["type"] == "extra_forbidden":
        return "is not a known field"
    if error["type"] == "missing":
        return "is required"
    if error["type"] == "union_tag_invalid":
        return "type must be one of heartbeat, api, lifecycle, browser"
    return msg[:1].lower() + msg[1:] if msg[:2] != msg[:2].upper() else msg


def format_errors(exc: ValidationError) -> list[str]:
    return [f"{_loc(err['loc'])}: {_message(err)}" for err in exc.errors(include_url=False)]


def parse_config(data: Any, source: str = "monitoring config") -> MonitoringConfig:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(["(top level): must be a mapping with a `checks:` list"], source)
    try:
        return MonitoringConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_errors(exc), source) from None


def load_config(path: Path) -> MonitoringConfig:
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError([f"cannot read {path}: {exc.strerror}"], str(path)) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ConfigError([f"{where}: {problem}"], str(path)) from None
    return parse_config(data, str(path))


def default_config(
    base_url: str,
    states: list[str],
    token_env: str = "HUMANGOV_CANARY_TOKEN",
    *,
    canary_state: str | None = None,
    email: str = "admin@humangov.local",
    password_env: str = "HUMANGOV_ADMIN_PASSWORD",
    browser: bool = True,
) -> MonitoringConfig:
    """What `serve` monitors with no file: itself, as its users see it."""
    base = base_url.rstrip("/")
    checks: list[dict[str, Any]] = [
        {"name": "readyz", "type": "heartbeat", "url": f"{base}/readyz",
         "interval": "30s", "timeout": "5s", "expect": {"status": 200}},
    ]
    if states:
        checks.append({
            "name": "state-home-pages", "type": "heartbeat", "interval": "1m", "timeout": "20s",
            "urls": {code: f"{base}/states/{code}" for code in states},
            # The pages need a login; a redirect to it still proves the app answers per state.
            "expect": {"status": [200, 303, 302, 401]},
        })
    canary_state = canary_state or (states[0] if states else "CA")
    checks.append({
        "name": "lifecycle", "type": "lifecycle", "base_url": base, "state": canary_state,
        "token_env": token_env, "interval": "1m", "timeout": "50s",
    })
    if browser:
        checks.append({
            "name": "browser", "type": "browser", "base_url": base, "state": canary_state,
            "email": email, "password_env": password_env, "interval": "5m", "timeout": "90s",
        })
    return parse_config({"checks": checks}, "default monitoring config")
