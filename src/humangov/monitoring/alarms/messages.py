"""The one Slack message builder, shared by the local notifier and the AWS Lambda that turns
CloudWatch alarms (via SNS) into Slack messages. Standard library only, so the Lambda can
import it without the rest of the monitor.

Block Kit reference: https://api.slack.com/reference/block-kit/blocks
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta

# An event's `kind`: a check's state change, a reminder while in ALARM, the monitor's own
# health, a notification channel that had to be switched off, or an erasure request past its
# due date.
TRANSITION = "transition"
REMINDER = "reminder"
DEGRADED = "degraded"
CHANNEL_DISABLED = "channel_disabled"
# A person's follow-up to an alarm, from the Alarms page; `reason` says who (and how long).
ACKNOWLEDGED = "acknowledged"
SILENCED = "silenced"
OVERDUE_REQUEST = "overdue_request"

_EMOJI = {
    "ALARM": ":red_circle:", "OK": ":large_green_circle:", "INSUFFICIENT_DATA": ":white_circle:",
}


@dataclass(frozen=True, slots=True)
class AlarmEvent:
    check: str
    new_state: str  # ALARM, OK, INSUFFICIENT_DATA (DEGRADED / RECOVERED for the monitor itself)
    old_state: str | None = None
    tenant: str | None = None  # the US state's USPS code, if the check is about one
    failing_step: str | None = None
    target: str | None = None  # what failed: the URL a check requests, or the browser step
    error: str | None = None
    duration_ms: float | None = None
    since: datetime | None = None
    down_for: timedelta | None = None
    run_url: str | None = None
    screenshot_url: str | None = None
    reason: str | None = None
    kind: str = TRANSITION

    def to_json(self) -> dict:
        data = asdict(self)
        data["since"] = self.since.isoformat() if self.since else None
        data["down_for"] = self.down_for.total_seconds() if self.down_for is not None else None
        return data

    @classmethod
    def from_json(cls, data: dict) -> AlarmEvent:
        known = {f.name for f in fields(cls)}
        data = {k: v for k, v in data.items() if k in known}
        if data.get("since"):
            data["since"] = datetime.fromisoformat(data["since"])
        if data.get("down_for") is not None:
            data["down_for"] = timedelta(seconds=data["down_for"])
        return cls(**data)


def humanize(delta: timedelta) -> str:
    seconds = round(delta.total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {seconds}s" if seconds else f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h" if hours else f"{days}d"


def headline(event: AlarmEvent) -> str:
    """The plain-text fallback: it names the check and its new state."""
    if event.kind == DEGRADED:
        if event.new_state == "OK":
            return "HumanGov monitor recovered: checks are running again"
        return f"HumanGov monitor degraded: {event.reason or 'checks cannot run'}"
    if event.kind == CHANNEL_DISABLED:
        return f"Notification channel {event.check} disabled: {event.reason or event.error}"
    if event.kind == ACKNOWLEDGED:
        return f"[ACK] {event.check} acknowledged by {event.reason}"
    if event.kind == SILENCED:
        return f"[SILENCED] {event.check} silenced by {event.reason}"
    if event.kind == REMINDER:
        return f"[ALARM] {event.check} is still in ALARM"
    if event.kind == OVERDUE_REQUEST:
        return f"[ALARM] Erasure request overdue in {event.tenant}: {event.reason}"
    text = f"[{event.new_state}] {event.check}"
    if event.new_state == "ALARM":
        text += " is in ALARM" + (f": {event.error}" if event.error else "")
    elif event.new_state == "OK" and event.down_for is not None:
        text += f" is OK again after {humanize(event.down_for)} down"
    elif event.new_state == "OK":
        text += " is OK"
    else:
        text += " has INSUFFICIENT_DATA"
    return text


def escape_mrkdwn(text: str, limit: int | None = None) -> str:
    """Text shown as itself in Slack: `&`, `<` and `>` as entities, so a check's error cannot
    ping `<!channel>` or disguise a link as `<http://x|y>`
    (https://api.slack.com/reference/surfaces/formatting#escaping). Cut to `limit` without
    leaving half an entity."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if limit is None or len(escaped) <= limit:
        return escaped
    cut = escaped[:limit]
    amp = cut.rfind("&", max(0, limit - 4))
    return cut[:amp] if amp >= 0 and ";" not in cut[amp:] else cut


def _field(label: str, value: str) -> dict:
    return {"type": "mrkdwn", "text": f"*{label}*\n{escape_mrkdwn(value)}"}


def _button(label: str, url: str) -> dict:
    return {"type": "button", "text": {"type": "plain_text", "text": label}, "url": url}


def _fields(event: AlarmEvent) -> list[dict]:
    items = [_field("State", event.new_state), _field("Check", event.check)]
    if event.tenant:
        items.append(_field("US state", event.tenant))
    if event.failing_step:
        items.append(_field("Failing step", event.failing_step))
    if event.target:
        items.append(_field("Target", event.target))
    if event.duration_ms is not None:
        items.append(_field("Duration", f"{event.duration_ms:.0f} ms"))
    if event.since is not None:
        items.append(_field("Since", event.since.strftime("%Y-%m-%d %H:%M:%S %Z").strip()))
    if event.down_for is not None:
        items.append(_field("Down for", humanize(event.down_for)))
    return items


def _title(event: AlarmEvent) -> tuple[str, str]:
    """The message's header and its emoji."""
    if event.kind == DEGRADED:
        if event.new_state != "OK":
            return "HumanGov monitor degraded", ":warning:"
        return "HumanGov monitor recovered", ":large_green_circle:"
    if event.kind == OVERDUE_REQUEST:
        return "ALARM: erasure request overdue", ":red_circle:"
    return f"{event.new_state}: {event.check}", _EMOJI.get(event.new_state, ":warning:")


def build_slack_message(event: AlarmEvent) -> dict:
    """`{"text": fallback, "blocks": [...]}` for an incoming webhook."""
    text = escape_mrkdwn(headline(event))  # the fallback is mrkdwn too
    if event.kind in (ACKNOWLEDGED, SILENCED):  # a short follow-up to the alarm above it
        return {"text": text, "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f":bell: {text}"[:3000]}}]}
    title, emoji = _title(event)
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"{title}"[:150], "emoji": True}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"{emoji} {text}"[:3000]}},
    ]
    blocks.append({"type": "section", "fields": _fields(event)[:10]})  # Slack allows 10
    if event.error:
        error = f"*Error*\n```{escape_mrkdwn(event.error, 2800)}```"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": error}})
    if event.reason and event.kind != DEGRADED:
        blocks.append(
            {"type": "context",
             "elements": [{"type": "mrkdwn", "text": escape_mrkdwn(event.reason, 2000)}]}
        )
    links = []
    if event.run_url:
        label = "View request" if event.kind == OVERDUE_REQUEST else "View run"
        links.append(_button(label, event.run_url))
    if event.screenshot_url:
        links.append(_button("Screenshot", event.screenshot_url))
    if links:
        blocks.append({"type": "actions", "elements": links})
    return {"text": text, "blocks": blocks}
