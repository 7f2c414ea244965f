"""The shared Slack message builder, and keeping webhook URLs out of sight."""

from datetime import UTC, datetime, timedelta

from humangov.monitoring.alarms.messages import DEGRADED, AlarmEvent, build_slack_message
from humangov.monitoring.alarms.transport import redact_url

SINCE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_an_alarm_message_names_the_check_state_tenant_step_error_and_links():
    event = AlarmEvent(check="ca-home", new_state="ALARM", old_state="OK", tenant="CA",
                       failing_step="open state", error="HTTP 502", duration_ms=812.4, since=SINCE,
                       run_url="http://app/monitoring/runs/r1",
                       screenshot_url="http://app/monitoring/artifacts/r1/step.png")
    message = build_slack_message(event)
    assert message["text"] == "[ALARM] ca-home is in ALARM: HTTP 502"
    body = str(message["blocks"])
    for part in ("*State*\\nALARM", "*US state*\\nCA", "open state", "HTTP 502", "812 ms",
                 "2026-03-01 12:00:00", "http://app/monitoring/runs/r1", "step.png"):
        assert part in body


def test_a_recovery_message_says_how_long_the_check_was_down():
    event = AlarmEvent(check="ca-home", new_state="OK", old_state="ALARM", since=SINCE,
                       down_for=timedelta(minutes=4, seconds=5))
    message = build_slack_message(event)
    assert message["text"] == "[OK] ca-home is OK again after 4m 5s down"
    assert "*Down for*\\n4m 5s" in str(message["blocks"])


def test_insufficient_data_is_named_in_the_fallback_text():
    assert "INSUFFICIENT_DATA" in build_slack_message(AlarmEvent("x", "INSUFFICIENT_DATA"))["text"]


def test_monitor_degraded_never_reads_like_a_check_alarm():
    message = build_slack_message(
        AlarmEvent("monitor", "DEGRADED", kind=DEGRADED, reason="store failing")
    )
    assert message["text"] == "HumanGov monitor degraded: store failing"
    assert "[ALARM]" not in message["text"]


def test_an_event_survives_a_round_trip_through_json():
    event = AlarmEvent("c", "OK", since=SINCE, down_for=timedelta(seconds=90), tenant="TX")
    assert AlarmEvent.from_json(event.to_json()) == event


def test_a_webhook_url_is_shown_only_by_its_host_and_first_characters():
    url = "https://hooks.slack.com/services/T0123ABC/B0456DEF/abcdefghijklmnop"
    assert redact_url(url) == "https://hooks.slack.com/services/T0…"
    assert "abcdefgh" not in redact_url(url) and "B0456" not in redact_url(url)
    assert redact_url("not a url") == "…"


def test_text_from_a_check_cannot_ping_the_channel_or_disguise_a_link():
    # GIVEN an error and a step name, as a hostile page could make a check report them
    event = AlarmEvent(check="ca-home", new_state="ALARM", failing_step="<!channel> & co",
                       error="<!channel> see <http://evil.example|the runbook>",
                       reason="<!here>")
    message = build_slack_message(event)
    # THEN every place Slack reads as mrkdwn shows them as text
    every_text = [message["text"], *(str(b) for b in message["blocks"])]
    assert not any("<!channel>" in t or "<http://" in t or "<!here>" in t for t in every_text)
    assert "&lt;!channel&gt; see &lt;http://evil.example|the runbook&gt;" in message["text"]
    assert "&lt;!channel&gt; &amp; co" in str(message["blocks"])


def test_a_long_escaped_error_is_cut_without_half_an_entity():
    from humangov.monitoring.alarms.messages import escape_mrkdwn

    assert escape_mrkdwn("ab<cd", 5) == "ab"
    assert escape_mrkdwn("a&b", 10) == "a&amp;b"
