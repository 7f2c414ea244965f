"""Where the Slack webhook URL comes from, silences, and the generic JSON webhook."""

from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from humangov.adapters.notifiers.webhook import WebhookTransport
from humangov.bootstrap import alarms as build_alarms
from humangov.config import Settings
from humangov.monitoring.alarms.channels import AlarmConfigError, slack_webhook_url
from humangov.monitoring.alarms.messages import AlarmEvent
from humangov.monitoring.alarms.policy import NotifyConfig, Silence, SlackChannel
from humangov.monitoring.alarms.silences import muting_silence
from humangov.monitoring.alarms.transport import TransportError
from humangov.monitoring.config import parse_config

YAML_URL = "https://hooks.slack.com/services/TYAML/B/x"


def test_the_environment_wins_over_the_file_and_the_yaml(tmp_path):
    secret = tmp_path / "hook"
    secret.write_text("https://hooks.slack.com/services/TFILE/B/y\n")
    notify = NotifyConfig(slack=SlackChannel(webhook_url=SecretStr(YAML_URL)))
    env = Settings(slack_webhook_url="https://hooks.slack.com/services/TENV/B/z",
                   slack_webhook_url_file=secret)
    assert "TENV" in slack_webhook_url(env, notify)
    assert "TFILE" in slack_webhook_url(Settings(slack_webhook_url_file=secret), notify)
    assert slack_webhook_url(Settings(), notify) == YAML_URL
    assert slack_webhook_url(Settings(), None) is None


def test_a_missing_webhook_file_is_a_clear_error_without_a_url(tmp_path):
    with pytest.raises(AlarmConfigError,
                       match="HUMANGOV_SLACK_WEBHOOK_URL_FILE: cannot read .*nope"):
        slack_webhook_url(Settings(slack_webhook_url_file=tmp_path / "nope"), None)


def test_with_no_webhook_only_the_inbox_is_a_channel(tmp_path):
    service = build_alarms(Settings(data_dir=tmp_path), parse_config({"checks": []}))
    assert list(service.transports) == ["inbox"]
    service.store.close()


def test_an_invalid_cron_silence_is_refused_with_its_path(tmp_path):
    config = parse_config({"silences": [{"name": "x", "cron": "every tuesday", "duration": 60}]})
    with pytest.raises(AlarmConfigError,
                       match=r"silences\[0\].cron: 'every tuesday' is not a cron"):
        build_alarms(Settings(data_dir=tmp_path), config)


@pytest.mark.parametrize(("now", "muted"), [
    (datetime(2026, 3, 3, 2, 10, tzinfo=UTC), "nightly"),   # Tuesday 02:10, inside 02:00 + 30m
    (datetime(2026, 3, 3, 2, 0, tzinfo=UTC), "nightly"),    # at the very start
    (datetime(2026, 3, 3, 2, 31, tzinfo=UTC), None),        # after the window
    (datetime(2026, 3, 3, 1, 59, tzinfo=UTC), None),        # before it
])
def test_a_recurring_maintenance_window_mutes_only_inside_its_duration(now, muted):
    silence = Silence(name="nightly", checks=["ca-*"], cron="0 2 * * *", duration=1800)
    assert muting_silence([silence], "ca-home", now) == muted
    assert muting_silence([silence], "tx-home", now) is None


def test_the_generic_webhook_posts_the_event_as_json(receiver):
    # GIVEN a JSON webhook pointing at a local receiver
    hook = WebhookTransport(receiver.url, name="ops")
    # WHEN an event goes out THEN the receiver holds the event and its text
    hook.notify(AlarmEvent("ca-home", "ALARM", tenant="CA"))
    assert receiver.messages[0]["event"]["check"] == "ca-home"
    assert receiver.messages[0]["text"].startswith("[ALARM] ca-home")


def test_the_generic_webhook_says_when_an_error_is_permanent_or_rate_limited(receiver):
    hook = WebhookTransport(receiver.url)
    receiver.script = [(410, "gone", {}), (429, "slow down", {"Retry-After": "7"}),
                       (503, "busy", {})]
    with pytest.raises(TransportError) as gone:
        hook.notify(AlarmEvent("c", "OK"))
    with pytest.raises(TransportError) as limited:
        hook.notify(AlarmEvent("c", "OK"))
    with pytest.raises(TransportError) as busy:
        hook.notify(AlarmEvent("c", "OK"))
    assert gone.value.permanent and not limited.value.permanent and limited.value.retry_after == 7
    assert not busy.value.permanent and busy.value.retry_after is None
    assert "XXXXSECRET" not in str(busy.value)


def test_an_unreachable_webhook_is_a_transient_error_that_hides_the_url():
    hook = WebhookTransport("http://127.0.0.1:9/services/T0/B0/SECRETPART", timeout=1)
    with pytest.raises(TransportError) as failed:
        hook.notify(AlarmEvent("c", "OK"))
    assert not failed.value.permanent and "SECRETPART" not in str(failed.value)


def test_slack_answers_are_sorted_into_permanent_rate_limited_and_transient(receiver):
    from humangov.adapters.notifiers.slack import SlackTransport

    slack = SlackTransport(receiver.url, timeout=2)
    receiver.script = [(403, "invalid_token", {}), (429, "rate_limited", {"Retry-After": "3"}),
                       (502, "", {})]
    errors = []
    for _ in range(3):
        with pytest.raises(TransportError) as caught:
            slack.notify(AlarmEvent("c", "ALARM"))
        errors.append(caught.value)
    assert [e.permanent for e in errors] == [True, False, False]
    assert [e.retry_after for e in errors] == [None, 3.0, None]
    slack.notify(AlarmEvent("c", "ALARM"))  # and a 200 "ok" is a success
    assert receiver.texts() == ["[ALARM] c is in ALARM"]


def test_an_unreachable_slack_webhook_is_transient_and_never_shows_the_url():
    from humangov.adapters.notifiers.slack import SlackTransport

    slack = SlackTransport("http://127.0.0.1:9/services/T0/B0/SECRETPART", timeout=1)
    with pytest.raises(TransportError) as failed:
        slack.notify(AlarmEvent("c", "OK"))
    assert not failed.value.permanent and "SECRETPART" not in str(failed.value)
