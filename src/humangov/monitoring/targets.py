"""What a check requests, and what a failed run failed on: the URL (a heartbeat or API step)
or the step of a user's journey (lifecycle, browser), for the pages and the alarm messages."""

from __future__ import annotations


def check_target(check) -> str | None:
    """The check's target in one line: its URL, its first step's URL, or its base URL."""
    if check is None:
        return None
    targets = getattr(check, "targets", None)
    if targets is not None:
        urls = list(targets().values())
        return urls[0] if len(urls) == 1 else f"{len(urls)} URLs"
    steps = getattr(check, "steps", None)
    if steps:
        return steps[0].url
    return getattr(check, "base_url", None)


def failing_target(check, run) -> str | None:
    """What this run failed on, or None when it passed or the check is unknown here."""
    if run.ok or check is None:
        return None
    step = run.failing_step or next((s.name for s in run.steps if s.status != "ok"), None)
    targets = getattr(check, "targets", None)
    if targets is not None:
        urls = targets()
        if step in urls:
            return urls[step]
        failed = [urls[s.name] for s in run.steps if s.status != "ok" and s.name in urls]
        return ", ".join(failed) if failed else check_target(check)
    for api_step in getattr(check, "steps", None) or ():
        if api_step.name == step:
            return f"{api_step.url} (step {step})"
    base = getattr(check, "base_url", None)
    return f"step {step} at {base}" if step and base else step or base
