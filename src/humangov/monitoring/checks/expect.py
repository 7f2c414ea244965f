"""Pure assertions on a response: what an `expect:` block demands, and what failed."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from humangov.monitoring.config import Expect, format_duration


@lru_cache(maxsize=1024)
def _jsonpath(path: str):
    from jsonpath_ng.ext import parse

    return parse(path)


def json_values(document: Any, path: str) -> list[Any]:
    return [match.value for match in _jsonpath(path).find(document)]


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_response(
    expect: Expect, *, status: int, text: str, latency_ms: float, json_body: Any = None,
) -> list[str]:
    """Every failed expectation, in words an operator understands. Empty means all held."""
    problems: list[str] = []
    if expect.status is not None:
        wanted = expect.status if isinstance(expect.status, list) else [expect.status]
        if status not in wanted:
            shown = " or ".join(map(str, wanted))
            problems.append(f"status {status}, expected {shown}")
    if expect.keyword is not None and expect.keyword not in text:
        problems.append(f"keyword {expect.keyword!r} not found in the response")
    if expect.regex is not None and not re.search(expect.regex, text):
        problems.append(f"regex {expect.regex!r} did not match the response")
    if expect.json_:
        problems += _json_problems(expect.json_, text, json_body)
    if expect.max_latency is not None and latency_ms > expect.max_latency.total_seconds() * 1000:
        problems.append(
            f"latency {latency_ms:.0f}ms exceeds max_latency {format_duration(expect.max_latency)}"
        )
    return problems


def _json_problems(wanted: dict[str, Any], text: str, json_body: Any) -> list[str]:
    if json_body is None:
        try:
            json_body = json.loads(text)
        except ValueError:
            return ["response is not JSON, so its JSON paths cannot be checked"]
    problems = []
    for path, wanted_value in wanted.items():
        found = json_values(json_body, path)
        if not found:
            problems.append(f"JSON path {path} not found")
        elif found[0] != wanted_value:
            problems.append(
                f"JSON path {path} is {_short(found[0])}, expected {_short(wanted_value)}"
            )
    return problems
