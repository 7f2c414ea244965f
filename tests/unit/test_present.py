"""How pages show moments and history actions."""

from __future__ import annotations

from datetime import UTC, datetime

from humangov.domain.states import STATE_NAMES, STATE_ZONES
from humangov.web.present import history_label, when


def test_every_state_has_a_zone():
    assert set(STATE_ZONES) == set(STATE_NAMES)


def test_a_states_time_is_local_and_named_with_utc_on_hover():
    winter = datetime(2026, 12, 2, 18, 30, 5)  # stored naive, in UTC
    assert str(when(winter, "CA")) == (
        '<time datetime="2026-12-02T18:30:05+00:00" title="2026-12-02 18:30 UTC">'
        "2026-12-02 10:30 PST</time>")
    summer = datetime(2026, 7, 1, 18, 30, tzinfo=UTC)
    assert "2026-07-01 14:30 EDT" in when(summer, "NY")
    assert "2026-07-01 11:30 MST" in when(summer, "AZ")  # Arizona keeps standard time


def test_pages_across_states_show_utc_named():
    moment = datetime(2026, 12, 2, 18, 30, 5)
    assert str(when(moment, seconds=True)) == (
        '<time datetime="2026-12-02T18:30:05+00:00">2026-12-02 18:30:05 UTC</time>')
    assert str(when(None, empty="never")) == "never"


def test_history_says_what_changed():
    assert history_label("moved") == "Role changed"
    assert history_label("document-replaced") == "Document replaced"
    assert history_label("something-new") == "Something new"
