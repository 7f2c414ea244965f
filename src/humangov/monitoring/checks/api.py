"""`api`: ordered HTTP steps; values captured from one response feed later ones as ${var}."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import httpx

from humangov.monitoring.checks.base import CheckFailed, execute, step
from humangov.monitoring.checks.expect import check_response, json_values
from humangov.monitoring.config import ApiCheck, ApiStep
from humangov.monitoring.http import Clients, describe_error
from humangov.monitoring.results import RunContext, RunResult

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def substitute(value: Any, variables: dict[str, str]) -> Any:
    """Replace ${name} in strings, recursively through lists and dicts. An unknown name is an
    error rather than an empty string, so a missed capture can't send a request to `/users/`."""
    if isinstance(value, str):
        def one(match: re.Match) -> str:
            name = match.group(1)
            if name not in variables:
                raise CheckFailed(
                    f"variable ${{{name}}} is not defined (capture it in an earlier step)"
                )
            return str(variables[name])
        return _VAR.sub(one, value)
    if isinstance(value, list):
        return [substitute(item, variables) for item in value]
    if isinstance(value, dict):
        return {key: substitute(item, variables) for key, item in value.items()}
    return value


async def run(check: ApiCheck, clients: Clients, ctx: RunContext, **kw) -> RunResult:
    return await execute(check, ctx, lambda: _body(check, clients, ctx), **kw)


async def _body(check: ApiCheck, clients: Clients, ctx: RunContext) -> None:
    variables = dict(check.variables)
    for name, env in check.secrets_env.items():
        if not (value := clients.secret(env)):
            raise CheckFailed(f"environment variable {env} (for ${{{name}}}) is not set")
        variables[name] = value
    for api_step in check.steps:
        async with step(ctx, api_step.name):
            variables.update(await _run_step(check, api_step, clients.http, variables))


async def _run_step(
    check: ApiCheck, api_step: ApiStep, http: httpx.AsyncClient, variables: dict[str, str]
) -> dict[str, str]:
    timeout_s = check.timeout.total_seconds()
    request: dict[str, Any] = {
        "headers": substitute(api_step.headers, variables), "timeout": timeout_s,
    }
    if api_step.json_ is not None:
        request["json"] = substitute(api_step.json_, variables)
    elif api_step.body is not None:
        request["content"] = substitute(api_step.body, variables)
    start = time.perf_counter()
    try:
        response = await http.request(
            api_step.method, substitute(api_step.url, variables), **request
        )
    except httpx.HTTPError as exc:
        raise CheckFailed(describe_error(exc, timeout_s)) from None
    latency_ms = (time.perf_counter() - start) * 1000
    body: Any = None
    if api_step.capture or api_step.expect.json_:
        try:
            body = response.json()
        except (ValueError, json.JSONDecodeError):
            body = None
    problems = check_response(
        api_step.expect, status=response.status_code, text=response.text,
        latency_ms=latency_ms, json_body=body,
    )
    captured: dict[str, str] = {}
    for name, path in api_step.capture.items():
        found = json_values(body, path) if body is not None else []
        if not found:
            problems.append(f"cannot capture {name}: JSON path {path} not found in the response")
        else:
            captured[name] = found[0]
    if problems:
        raise CheckFailed("; ".join(problems))
    return captured
