"""Build the CDK app from the configuration: the composition root of the infrastructure."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment, Tags, Validations
from cdk_nag import AwsSolutionsChecks

from humangov_infra import canary
from humangov_infra.config import DEFAULT_CONFIG, InfraConfig, load
from humangov_infra.shared import SharedStack
from humangov_infra.state import StateStack

SKIP_BUNDLING = {"aws:cdk:bundling-stacks": []}


def state_stack_id(state: str) -> str:
    return f"HumanGov-{state}"


def build(
    context: dict[str, Any] | None = None,
    *,
    outdir: str | None = None,
    config_path: Path = DEFAULT_CONFIG,
    nag: bool = True,
    now: datetime | None = None,
) -> tuple[App, InfraConfig]:
    """The app with the shared stack and one stack per configured state. `context` is CDK
    context (e.g. {"states": "CA,TX"}); settings not in it come from infra/states.yaml.
    `now` stamps the states registry entries (humangov_infra.registry); tests fix it."""
    app = App(context=context or {}, outdir=outdir)
    config = load(lambda key: app.node.try_get_context(key), config_path)
    # The account stays unresolved (the CLI's credentials decide); the region is fixed.
    env = Environment(region=config.region)
    shared = SharedStack(app, "HumanGov-Shared", config=config, env=env,
                         description="HumanGov: alarms, ledger, app on Fargate")
    # One script for every state: the state and its URL reach it as environment variables.
    asset = canary.write_asset(config.canary_checks, lifecycle=bool(config.canary_token_secret))
    registered_at = now or datetime.now(UTC)
    for state in config.states:
        stack = StateStack(app, state_stack_id(state), state=state, config=config, shared=shared,
                           canary_asset=asset, registered_at=registered_at, env=env,
                           description=f"HumanGov {state}: records, documents, erasure, canary")
        Tags.of(stack).add("humangov:state", state)
    Tags.of(app).add("app", "humangov")
    if nag:
        # Synthesis fails on any finding not acknowledged with a reason (humangov_infra.nag).
        Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    return app, config
