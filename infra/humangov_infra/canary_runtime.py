"""The CloudWatch Synthetics canary (Python runtime), run once a minute per state.

This file is a template: humangov_infra.canary replaces CHECKS with the checks read from the
monitoring YAML. It uses only the standard library and boto3, which the Synthetics runtime
ships, so the canary needs no packaging. A check failure raises, which is what marks a
Synthetics run failed:
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Canaries_WritingCanary_Python.html
"""

# ruff: noqa: UP031  (%-formatting keeps braces free for the JSON the generator splices in)

import contextlib
import hashlib
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta

CHECKS = []  # replaced by the generator

SYNTHETIC_HEADER = {"X-HumanGov-Synthetic": "1"}

try:  # the runtime's logger puts lines into the run's report; print elsewhere
    from aws_synthetics.common import synthetics_logger as _logger

    def log(message):
        _logger.info(message)
except ImportError:  # pragma: no cover - outside Synthetics
    def log(message):
        print(message)


class CheckFailed(Exception):
    pass


def handler(event, context):
    base_url = os.environ["HUMANGOV_BASE_URL"]
    state = os.environ["HUMANGOV_STATE"]
    return run_all(base_url, state, _token)


def run_all(base_url, state, token_source):
    failures = []
    for check in CHECKS:
        started = time.monotonic()
        try:
            if check["type"] == "heartbeat":
                _heartbeat(check, base_url)
            else:
                _lifecycle(check, base_url, state, token_source())
        except CheckFailed as exc:
            failures.append("%s: %s" % (check["name"], exc))
            log("FAIL %s after %.2fs: %s" % (check["name"], time.monotonic() - started, exc))
        else:
            log("PASS %s in %.2fs" % (check["name"], time.monotonic() - started))
    if failures:
        raise CheckFailed("; ".join(failures))
    return "%d checks passed" % len(CHECKS)


def _token():
    # The token lives in Secrets Manager, never in the script or its environment.
    import boto3

    arn = os.environ.get("HUMANGOV_CANARY_TOKEN_SECRET")
    if not arn:
        raise CheckFailed(
            "HUMANGOV_CANARY_TOKEN_SECRET is not set; the lifecycle check needs a token"
        )
    return boto3.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"].strip()


def _request(method, url, timeout, expect, headers=None, body=None):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, payload = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, payload = exc.code, exc.read()
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise CheckFailed("%s %s failed: %s" % (method, _path(url), reason)) from None
    if status not in expect:
        wanted = " or ".join(str(s) for s in expect)
        raise CheckFailed("%s %s returned %d, expected %s" % (method, _path(url), status, wanted))
    return payload


def _path(url):
    return urllib.parse.urlsplit(url).path or "/"


def _heartbeat(check, base_url):
    for path in check["paths"]:
        _request(check["method"], base_url.rstrip("/") + path, check["timeout"], check["status"])


def _json(payload):
    try:
        return json.loads(payload)
    except ValueError:
        raise CheckFailed("expected a JSON response") from None


def _pdf(run_id):
    text = "HumanGov canary %s" % run_id
    return ("%%PDF-1.4\n%% %s\n%%%%EOF\n" % text).encode()


def _multipart(fields, filename, content):
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(
            '--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
            % (boundary, name, value)
        )
    parts.append(
        '--%s\r\nContent-Disposition: form-data; name="document"; filename="%s"\r\n'
        "Content-Type: application/pdf\r\n\r\n" % (boundary, filename)
    )
    body = "".join(parts).encode() + content + ("\r\n--%s--\r\n" % boundary).encode()
    return body, "multipart/form-data; boundary=%s" % boundary


def _lifecycle(check, base_url, state, token):
    """create -> read -> download and verify -> delete -> a ledger receipt within the SLA."""
    timeout = check["timeout"]
    headers = dict(SYNTHETIC_HEADER, Authorization="Bearer %s" % token)
    state_url = "%s/api/v1/states/%s" % (base_url.rstrip("/"), state)
    run_id = uuid.uuid4().hex
    pdf = _pdf(run_id)
    fields = {
        "first_name": "Synthetic", "last_name": "Canary-%s" % run_id[-8:],
        "role": "Canary", "salary": "1.00", "synthetic": "true",
    }
    body, content_type = _multipart(fields, "canary.pdf", pdf)
    created = _json(_request(
        "POST", state_url + "/employees", timeout, (200, 201),
        dict(headers, **{"Content-Type": content_type}), body,
    ))
    employee_id = created.get("id") if isinstance(created, dict) else None
    if not employee_id:
        raise CheckFailed("the create response has no 'id' field")
    employee_url = "%s/employees/%s" % (state_url, employee_id)
    deleted = False
    try:
        _request("GET", employee_url, timeout, (200,), headers)
        got = hashlib.sha256(_request("GET", employee_url + "/document", timeout, (200,), headers))
        if got.hexdigest() != hashlib.sha256(pdf).hexdigest():
            raise CheckFailed("the downloaded document differs from the upload")
        since = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
        _request("DELETE", employee_url, timeout, (200, 202, 204), headers)
        deleted = True
        _await_receipt(check, state_url, headers, employee_id, since)
    finally:
        if not deleted:  # leave nothing behind when a step failed
            with contextlib.suppress(CheckFailed):
                _request("DELETE", employee_url, 5, (200, 202, 204, 404), headers)


def _await_receipt(check, state_url, headers, employee_id, since):
    deadline = time.monotonic() + check["erasure_sla"]
    query = urllib.parse.urlencode({"limit": "200", "since": since})
    while True:
        url = "%s/erasures?%s" % (state_url, query)
        payload = _json(_request("GET", url, check["timeout"], (200,), headers))
        if isinstance(payload, list):
            items = payload
        else:
            items = payload.get("items") or payload.get("receipts") or []
        for receipt in items:
            if str(receipt.get("key", "")).startswith("%s/" % employee_id):
                if receipt.get("result") not in ("erased", "already-absent"):
                    raise CheckFailed("erasure receipt has result %r" % receipt.get("result"))
                return
        if time.monotonic() >= deadline:
            raise CheckFailed("no erasure receipt within the SLA of %gs" % check["erasure_sla"])
        time.sleep(check["poll_interval"])
