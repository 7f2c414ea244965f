"""An erasure request past its due date alarms through the canaries' alarm path: one Slack
message to a local Slack-compatible receiver on 127.0.0.1, naming the request and its state
but not whom it concerns, however often the check runs again."""

from __future__ import annotations

import asyncio
import io
from datetime import date, timedelta

import pytest

from humangov.bootstrap import bootstrap
from humangov.config import Settings
from humangov.domain.auth import Principal
from humangov.erasure_requests.service import Requests
from tests.alarms.conftest import eventually
from tests.conftest import PDF
from tests.erasure.conftest import FakeClock

pytestmark = pytest.mark.asyncio


async def test_an_overdue_request_sends_one_slack_alarm(tmp_path, monitor_factory, receiver,
                                                        target):
    clock = FakeClock()
    c = bootstrap(Settings(environment="test", data_dir=tmp_path / "app", monitoring=False),
                  clock=clock)
    c.personnel.add_state("CA")
    ada = c.personnel.add_employee("CA", {"first_name": "Ada", "last_name": "Lovelace",
                                          "role": "Clerk", "salary": "1"},
                                   io.BytesIO(PDF), "user:hr")
    async with monitor_factory(target.url, receiver.url) as m:
        requests = Requests(
            c.request_store, c.personnel, c.records, c.ledger, c.audit, clock,
            is_held=lambda state, employee_id: "matter 7" if employee_id == ada.id else None,
            on_overdue=lambda r: m.alarms.overdue_request(r.state, r.id, r.due, len(r.held)))
        filed = requests.file(Principal("user:counsel@ca.gov", "counsel", "CA"), "CA",
                              subject="Ada Lovelace", legal_basis="CCPA",
                              due=date(2026, 1, 10))
        clock.advance(timedelta(days=10).total_seconds())
        await asyncio.to_thread(requests.check)  # due today: not late yet
        clock.advance(timedelta(days=1).total_seconds())
        await asyncio.to_thread(requests.check)
        await eventually(lambda: len(receiver.messages) == 1, what="the overdue alarm")
        await asyncio.to_thread(requests.check)
        await eventually(lambda: m.alarms.store.pending_count() == 0, what="nothing pending")
    c.close()
    [message] = receiver.messages
    assert message["text"].startswith("[ALARM] Erasure request overdue in CA: request "
                                      f"{filed.id} was due 2026-01-10")
    assert "legal hold blocks 1 record" in message["text"]
    body = str(message["blocks"])
    assert f"/states/CA/requests/{filed.id}" in body and "Lovelace" not in body
