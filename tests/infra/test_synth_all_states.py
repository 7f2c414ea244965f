"""GIVEN the default configuration (all 50 states), THEN synthesis finishes with one stack per
state plus the shared one, cdk-nag clean. Its time is recorded in docs/benchmarks.md."""

from __future__ import annotations

import time

import pytest

from tests.infra.conftest import INFRA  # noqa: F401  (puts infra/ on sys.path)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("infra")]


def test_synthesising_all_fifty_states_gives_fifty_state_stacks(tmp_path):
    pytest.importorskip("aws_cdk")
    from humangov_infra.app import SKIP_BUNDLING, build, state_stack_id
    from humangov_infra.config import ALL_STATES

    started = time.monotonic()
    app, config = build(dict(SKIP_BUNDLING), outdir=str(tmp_path))
    assembly = app.synth()
    elapsed = time.monotonic() - started

    names = {stack.stack_name for stack in assembly.stacks}
    assert names == {"HumanGov-Shared", *(state_stack_id(s) for s in ALL_STATES)}
    assert len(config.states) == 50
    rules = assembly.get_stack_by_name("HumanGov-Shared").template["Resources"]
    assert (
        sum(r["Type"] == "AWS::ElasticLoadBalancingV2::ListenerRule" for r in rules.values()) == 50
    )
    print(f"\nsynthesised 50 states ({len(names)} stacks) in {elapsed:.1f}s")
