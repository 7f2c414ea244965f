from __future__ import annotations

import pytest

from humangov.monitoring.http import Clients


@pytest.fixture
async def clients():
    c = Clients()
    yield c
    await c.aclose()
