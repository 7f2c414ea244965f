"""Checks as code: the YAML is validated and errors name the field."""

from __future__ import annotations

from datetime import timedelta

import pytest

from humangov.monitoring.config import ConfigError, default_config, load_config, parse_duration


def write(tmp_path, text):
    path = tmp_path / "monitoring.yaml"
    path.write_text(text)
    return path


def test_the_minimal_shape_from_the_issue_loads(tmp_path):
    config = load_config(write(tmp_path, """
checks:
  - name: ca-health
    type: heartbeat
    url: http://127.0.0.1:8000/healthz
    interval: 5s
    timeout: 2s
    expect: {status: 200}
"""))
    (check,) = config.checks
    assert (check.name, check.interval, check.timeout, check.expect.status) == (
        "ca-health", timedelta(seconds=5), timedelta(seconds=2), 200)
    assert check.alarm.failures_in_a_row == 2


@pytest.mark.parametrize(
    "text, seconds", [("500ms", 0.5), ("5s", 5), ("1m", 60), ("1h", 3600), (3, 3)]
)
def test_durations_accept_the_usual_units(text, seconds):
    assert parse_duration(text).total_seconds() == seconds


def test_every_problem_is_reported_with_its_field_path(tmp_path):
    path = write(tmp_path, """
checks:
  - {name: a, type: heartbeat, url: "http://x/"}
  - {name: b, type: heartbeat, url: "http://x/", timeout: soon}
  - {name: c, type: heartbeat, url: "http://x/", interval: 500ms}
  - {name: d, type: ping}
  - {name: e, type: api, steps: [{name: s, url: "http://x/", colour: red}]}
  - {name: f, type: lifecycle, base_url: "http://x", state: ZZ}
""")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.lines == [
        "checks[1].timeout: must be a duration such as 500ms, 5s, 1m or 1h, not 'soon'",
        "checks[2].interval: must be at least 1s",
        "checks[3]: type must be one of heartbeat, api, lifecycle, browser",
        "checks[4].steps[0].colour: is not a known field",
        "checks[5].state: 'ZZ' is not a US state; use a USPS code such as CA",
    ]


def test_duplicate_names_and_a_timeout_longer_than_the_interval_are_refused(tmp_path):
    with pytest.raises(ConfigError) as dup:
        load_config(write(tmp_path, "checks:\n"
                                    "  - {name: a, type: heartbeat, url: 'http://x/'}\n"
                                    "  - {name: a, type: heartbeat, url: 'http://y/'}\n"))
    assert dup.value.lines == ["checks: check name 'a' is used twice; names must be unique"]
    with pytest.raises(ConfigError) as long:
        load_config(write(tmp_path, "checks:\n  - {name: a, type: heartbeat, url: 'http://x/', "
                                    "interval: 5s, timeout: 6s}\n"))
    assert long.value.lines == ["checks[0]: timeout (6s) must not be longer than interval (5s)"]


def test_broken_yaml_and_a_missing_file_are_clear_errors(tmp_path):
    with pytest.raises(ConfigError) as broken:
        load_config(write(tmp_path, "checks: [\n  - oops"))
    assert broken.value.lines[0].startswith("line ")
    with pytest.raises(ConfigError) as missing:
        load_config(tmp_path / "nope.yaml")
    assert "cannot read" in missing.value.lines[0]


def test_the_defaults_monitor_readiness_state_pages_as_one_group_lifecycle_and_browser():
    config = default_config("http://127.0.0.1:8000/", ["CA", "TX", "NY"], "TOKEN_VAR")
    by_name = {c.name: c for c in config.checks}
    assert by_name["readyz"].url == "http://127.0.0.1:8000/readyz"
    assert set(by_name["state-home-pages"].targets()) == {"CA", "TX", "NY"}
    assert by_name["lifecycle"].token_env == "TOKEN_VAR" and by_name["lifecycle"].state == "CA"
    assert by_name["browser"].interval == timedelta(minutes=5)
    assert len(config.checks) == 4
