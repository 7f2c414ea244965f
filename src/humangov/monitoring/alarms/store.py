"""Durable alarm state, events (transitions and monitor alerts), the notification outbox,
channels and the inbox, in SQLite through SQLAlchemy Core.

Its own file, `<data_dir>/alarms.db`, so the alarm tables evolve without touching the app's
database. The tables are declared below; the Alembic revisions in migrations/alarms create them.

Exactly-once-per-transition rests on two unique keys: `events.dedupe_key` (a run evaluated
twice yields the same key) and `outbox(event_id, channel)`. State, event and outbox rows are
written in one transaction, so a crash leaves either all of them or none.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from humangov.adapters.sql import open_sqlite, reading
from humangov.adapters.timecodec import from_optional_text as from_text
from humangov.adapters.timecodec import to_text
from humangov.monitoring.alarms.evaluator import AlarmState
from humangov.monitoring.alarms.messages import AlarmEvent

metadata = sa.MetaData()

alarm_states = sa.Table(
    "alarm_states", metadata,
    sa.Column("check_name", sa.String, primary_key=True),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("updated_at", sa.String, nullable=False),
)
events = sa.Table(
    "alarm_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("dedupe_key", sa.String, nullable=False, unique=True),
    sa.Column("check_name", sa.String, nullable=False, index=True),
    sa.Column("kind", sa.String, nullable=False),
    sa.Column("old_state", sa.String),
    sa.Column("new_state", sa.String, nullable=False),
    sa.Column("run_id", sa.String),
    sa.Column("at", sa.String, nullable=False),
    sa.Column("muted_by", sa.String),
    sa.Column("payload", sa.Text, nullable=False),
)
outbox = sa.Table(
    "alarm_outbox", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.Integer, sa.ForeignKey("alarm_events.id"), nullable=False),
    sa.Column("channel", sa.String, nullable=False),
    sa.Column("check_name", sa.String, nullable=False),
    # pending -> sent; or muted (a silence), or dropped (its channel was disabled)
    sa.Column("status", sa.String, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", sa.String, nullable=False),
    sa.Column("lease_until", sa.String),
    sa.Column("last_error", sa.String),
    sa.Column("created_at", sa.String, nullable=False),
    sa.Column("sent_at", sa.String),
    sa.UniqueConstraint("event_id", "channel", name="uq_outbox_event_channel"),
    sa.Index("ix_outbox_channel_status", "channel", "status", "check_name", "id"),
)
channels = sa.Table(
    "alarm_channels", metadata,
    sa.Column("name", sa.String, primary_key=True),
    sa.Column("kind", sa.String, nullable=False),
    sa.Column("description", sa.String, nullable=False),  # redacted, safe to show
    sa.Column("fingerprint", sa.String, nullable=False),  # changes when the URL changes
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("last_error", sa.String),
    sa.Column("disabled_at", sa.String),
    sa.Column("next_allowed_at", sa.String),
    sa.Column("last_sent_at", sa.String),
)
inbox = sa.Table(
    "alarm_inbox", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.Integer, unique=True),
    sa.Column("created_at", sa.String, nullable=False),
    sa.Column("kind", sa.String, nullable=False),
    sa.Column("check_name", sa.String, nullable=False),
    sa.Column("new_state", sa.String, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
)
actions = sa.Table(
    "alarm_actions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("check_name", sa.String, nullable=False),
    sa.Column("action", sa.String, nullable=False),  # acknowledged | silenced
    sa.Column("actor", sa.String, nullable=False),
    sa.Column("at", sa.String, nullable=False),
    sa.Column("until", sa.String),  # a silence's end
    sa.Index("ix_alarm_actions_check", "check_name", "id"),
)


def _state_to_json(state: AlarmState) -> str:
    data = asdict(state)
    for key, value in data.items():
        if isinstance(value, datetime):
            data[key] = to_text(value)
    data["recent"] = [[to_text(at), ok] for at, ok in state.recent]
    return json.dumps(data)


def _state_from_json(text: str) -> AlarmState:
    data = json.loads(text)
    known = {f.name for f in fields(AlarmState)}
    data = {k: v for k, v in data.items() if k in known}
    for key in ("since", "failing_since", "incident_since", "last_notified_at"):
        data[key] = from_text(data.get(key))
    data["recent"] = tuple((from_text(at), ok) for at, ok in data.get("recent", ()))
    return AlarmState(**data)


class NewEvent:
    """An event to record, with the channels it goes to and the silence muting it, if any."""

    __slots__ = ("at", "dedupe_key", "event", "muted_by", "run_id")

    def __init__(self, dedupe_key: str, event: AlarmEvent, at: datetime, *,
                 run_id: str | None = None, muted_by: str | None = None) -> None:
        self.dedupe_key, self.event, self.at = dedupe_key, event, at
        self.run_id, self.muted_by = run_id, muted_by


class AlarmStore:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, path: Path) -> AlarmStore:
        return cls(open_sqlite(Path(path), "alarms"))

    def close(self) -> None:
        self.engine.dispose()

    # -- alarm state ----------------------------------------------------------------------

    def load_state(self, check: str) -> AlarmState | None:
        with reading(self.engine) as conn:
            row = conn.execute(
                sa.select(alarm_states.c.data).where(alarm_states.c.check_name == check)
            ).first()
        return _state_from_json(row.data) if row else None

    def states(self) -> dict[str, AlarmState]:
        with reading(self.engine) as conn:
            rows = conn.execute(sa.select(alarm_states)).all()
        return {row.check_name: _state_from_json(row.data) for row in rows}

    def record(self, check: str | None, state: AlarmState | None, new_events: list[NewEvent],
               channels: list[str], now: datetime) -> list[int]:
        """In one transaction: save the check's state, add the events (once per dedupe key),
        and one outbox row per (new event, channel). Returns the ids of the new events."""
        created: list[int] = []
        with self.engine.begin() as conn:
            if check is not None and state is not None:
                conn.execute(
                    sqlite_insert(alarm_states)
                    .values(check_name=check, data=_state_to_json(state), updated_at=to_text(now))
                    .on_conflict_do_update(
                        index_elements=["check_name"],
                        set_={"data": _state_to_json(state), "updated_at": to_text(now)},
                    )
                )
            for item in new_events:
                result = conn.execute(
                    sqlite_insert(events).values(
                        dedupe_key=item.dedupe_key, check_name=item.event.check,
                        kind=item.event.kind,
                        old_state=item.event.old_state, new_state=item.event.new_state,
                        run_id=item.run_id, at=to_text(item.at), muted_by=item.muted_by,
                        payload=json.dumps(item.event.to_json()),
                    ).on_conflict_do_nothing(index_elements=["dedupe_key"])
                )
                inserted = result.inserted_primary_key if result.rowcount == 1 else None
                if inserted is None:
                    continue  # seen before: its outbox rows already exist
                event_id = inserted[0]
                created.append(event_id)
                for channel in channels:
                    conn.execute(
                        sqlite_insert(outbox).values(
                            event_id=event_id, channel=channel, check_name=item.event.check,
                            status="muted" if item.muted_by else "pending", attempts=0,
                            next_attempt_at=to_text(now), created_at=to_text(now),
                        ).on_conflict_do_nothing()
                    )
        return created

    def events(self, limit: int = 50, check: str | None = None) -> list[dict]:
        query = sa.select(events).order_by(events.c.id.desc()).limit(limit)
        if check is not None:
            query = query.where(events.c.check_name == check)
        with reading(self.engine) as conn:
            return [self._event_row(row) for row in conn.execute(query)]

    @staticmethod
    def _event_row(row: sa.Row) -> dict:
        data = dict(row._mapping)
        data["event"] = AlarmEvent.from_json(json.loads(data.pop("payload")))
        data["at"] = from_text(data["at"])
        return data

    # -- outbox ---------------------------------------------------------------------------

    def next_due(self, channel: str, now: datetime) -> dict | None:
        """The oldest deliverable row of this channel whose check has no older row waiting,
        so one check's messages go out in order while others are not held up."""
        older = outbox.alias("older")
        head_of_line = ~sa.exists().where(
            older.c.channel == outbox.c.channel,
            older.c.check_name == outbox.c.check_name,
            older.c.status == "pending",
            older.c.id < outbox.c.id,
        )
        query = (
            sa.select(outbox, events.c.payload)
            .join(events, events.c.id == outbox.c.event_id)
            .where(
                outbox.c.channel == channel,
                outbox.c.status == "pending",
                outbox.c.next_attempt_at <= to_text(now),
                sa.or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < to_text(now)),
                head_of_line,
            )
            .order_by(outbox.c.id)
            .limit(1)
        )
        with reading(self.engine) as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        data = dict(row._mapping)
        data["event"] = AlarmEvent.from_json(json.loads(data.pop("payload")))
        return data

    def next_wake(self, channel: str) -> datetime | None:
        with reading(self.engine) as conn:
            value = conn.execute(
                sa.select(sa.func.min(outbox.c.next_attempt_at))
                .where(outbox.c.channel == channel, outbox.c.status == "pending")
            ).scalar()
        return from_text(value)

    def claim(self, row_id: int, now: datetime, lease: timedelta) -> bool:
        """A conditional update: exactly one worker wins the row, as in healthchecks.io."""
        with self.engine.begin() as conn:
            result = conn.execute(
                sa.update(outbox)
                .where(
                    outbox.c.id == row_id, outbox.c.status == "pending",
                    sa.or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < to_text(now)),
                )
                .values(lease_until=to_text(now + lease))
            )
            return result.rowcount == 1

    def mark_sent(self, row_id: int, channel: str, now: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.update(outbox).where(outbox.c.id == row_id).values(
                status="sent", sent_at=to_text(now), lease_until=None,
                attempts=outbox.c.attempts + 1))
            conn.execute(sa.update(channels).where(channels.c.name == channel).values(
                last_sent_at=to_text(now), last_error=None))

    def mark_retry(self, row_id: int, error: str, next_at: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.update(outbox).where(outbox.c.id == row_id).values(
                attempts=outbox.c.attempts + 1, last_error=error[:500],
                next_attempt_at=to_text(next_at), lease_until=None))

    def pending_count(self, channel: str | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(outbox).where(outbox.c.status == "pending")
        if channel is not None:
            query = query.where(outbox.c.channel == channel)
        with reading(self.engine) as conn:
            return int(conn.execute(query).scalar() or 0)

    def outbox_rows(self, channel: str | None = None) -> list[dict]:
        query = sa.select(outbox).order_by(outbox.c.id)
        if channel is not None:
            query = query.where(outbox.c.channel == channel)
        with reading(self.engine) as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    # -- channels -------------------------------------------------------------------------

    def register_channel(self, name: str, kind: str, description: str, fingerprint: str) -> None:
        """Add the channel, or keep its state; a changed URL (fingerprint) re-enables it."""
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(channels).where(channels.c.name == name)).first()
            if row is None:
                conn.execute(sa.insert(channels).values(
                    name=name, kind=kind, description=description, fingerprint=fingerprint,
                    disabled=False))
            elif row.fingerprint != fingerprint:
                conn.execute(sa.update(channels).where(channels.c.name == name).values(
                    kind=kind, description=description, fingerprint=fingerprint, disabled=False,
                    last_error=None, disabled_at=None, next_allowed_at=None))

    def channel(self, name: str) -> dict | None:
        with reading(self.engine) as conn:
            row = conn.execute(sa.select(channels).where(channels.c.name == name)).first()
        return dict(row._mapping) if row else None

    def channels(self) -> list[dict]:
        with reading(self.engine) as conn:
            rows = conn.execute(sa.select(channels).order_by(channels.c.name))
            return [dict(r._mapping) for r in rows]

    def disable_channel(self, name: str, error: str, now: datetime) -> bool:
        """Disable once; True if this call did it. Its waiting messages can never go out."""
        with self.engine.begin() as conn:
            result = conn.execute(
                sa.update(channels).where(channels.c.name == name, channels.c.disabled.is_(False))
                .values(disabled=True, last_error=error[:500], disabled_at=to_text(now)))
            conn.execute(sa.update(outbox).where(
                outbox.c.channel == name, outbox.c.status == "pending").values(
                status="dropped", last_error="channel disabled", lease_until=None))
            return result.rowcount == 1

    def set_channel_pause(self, name: str, until: datetime | None, error: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.update(channels).where(channels.c.name == name).values(
                next_allowed_at=to_text(until) if until else None, last_error=error))

    # -- people's acknowledgements and silences ---------------------------------------------

    def add_action(self, check: str, action: str, actor: str, at: datetime,
                   until: datetime | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.insert(actions).values(
                check_name=check, action=action, actor=actor, at=to_text(at),
                until=to_text(until) if until else None))

    def latest_actions(self) -> dict[tuple[str, str], dict]:
        """The latest of each (check, action): what the alarm service needs to mute."""
        latest = sa.select(sa.func.max(actions.c.id)).group_by(actions.c.check_name,
                                                               actions.c.action)
        with reading(self.engine) as conn:
            rows = conn.execute(sa.select(actions).where(actions.c.id.in_(latest))).all()
        return {(r.check_name, r.action): {"actor": r.actor, "at": from_text(r.at),
                                           "until": from_text(r.until)} for r in rows}

    # -- inbox ----------------------------------------------------------------------------

    def add_inbox(self, event_id: int | None, event: AlarmEvent, text: str, now: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(sqlite_insert(inbox).values(
                event_id=event_id, created_at=to_text(now), kind=event.kind,
                check_name=event.check, new_state=event.new_state, text=text,
                payload=json.dumps(event.to_json()),
            ).on_conflict_do_nothing())

    def inbox(self, limit: int = 100) -> list[dict]:
        with reading(self.engine) as conn:
            rows = conn.execute(sa.select(inbox).order_by(inbox.c.id.desc()).limit(limit)).all()
        out = []
        for row in rows:
            data = dict(row._mapping)
            data["created_at"] = from_text(data["created_at"])
            data["event"] = AlarmEvent.from_json(json.loads(data.pop("payload")))
            out.append(data)
        return out
