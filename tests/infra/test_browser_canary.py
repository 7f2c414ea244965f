"""The AWS browser canary's script, rendered from the check YAML, run with node through real
Chromium against the real app on 127.0.0.1. A local stand-in for the Synthetics Playwright
library (tests/infra/browser_canary/synthetics_shim.js, over playwright-core) takes the
runtime's place; the script itself is exactly what the canary deploys."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from humangov_infra import canary

from tests.e2e.conftest import server  # noqa: F401 - the real app under uvicorn
from tests.infra.conftest import INFRA

NODE_DIR = Path(__file__).with_name("browser_canary")
EMAIL, PASSWORD = "canary@humangov.local", "the canary's own long password"

pytestmark = [
    pytest.mark.slow, pytest.mark.browser,
    pytest.mark.skipif(not Path("/usr/bin/chromium").exists() or shutil.which("node") is None,
                       reason="needs Debian chromium at /usr/bin/chromium and node (make test)"),
    pytest.mark.skipif(not (NODE_DIR / "node_modules" / "playwright-core").exists(),
                       reason=f"run `npm ci` in {NODE_DIR} (make test does)"),
]


def deployed(tmp_path: Path) -> Path:
    """The asset as synth lays it out, with the stand-in where the runtime's library is."""
    asset = canary.write_asset(INFRA / "canary-checks.yaml", lifecycle=False)
    out = tmp_path / "asset"
    shutil.copytree(asset, out)
    library = out / "node_modules" / "@amzn" / "synthetics-playwright"
    library.mkdir(parents=True)
    (library / "index.js").write_text(
        f"module.exports = require({json.dumps(str(NODE_DIR / 'synthetics_shim.js'))});\n")
    return out / f"{canary.BROWSER_HANDLER_MODULE}.js"


def run_canary(script: Path, base: str, password: str, shots: Path):
    shots.mkdir()
    return subprocess.run(
        ["node", str(NODE_DIR / "run_canary.js"), str(script), base, "CA"],
        input=json.dumps({"email": EMAIL, "password": password}),
        capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "HUMANGOV_SCREENSHOT_DIR": str(shots)},
    )


@pytest.fixture
def app(server):  # noqa: F811 - pytest's fixture by name
    base, container = server
    container.accounts.add_user(EMAIL, PASSWORD, "editor", "CA")
    container.accounts.mark_canary(email=EMAIL)
    return base, container


def test_the_browser_canary_logs_in_adds_and_deletes_an_employee_with_screenshots(
    app, tmp_path
):
    base, container = app
    shots = tmp_path / "shots"
    done = run_canary(deployed(tmp_path), base, PASSWORD, shots)
    assert done.returncode == 0, done.stderr + done.stdout
    assert done.stdout.splitlines()[-1] == "1 checks passed"
    assert sorted(p.name for p in shots.iterdir()) == [
        "01-login-succeeded.png", "02-open-state-succeeded.png",
        "03-add-employee-succeeded.png", "04-delete-employee-succeeded.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in shots.iterdir())
    # Deleted: nothing left; created with its PDF: the erasure leaves one canary receipt.
    assert container.personnel.list_employees("CA").items == []
    assert container.erasures.worker("test").drain() == 1
    receipts, _ = container.erasures.receipts("CA", limit=10, synthetic=True)
    assert [r.result for r in receipts] == ["erased"]
    assert container.erasures.receipts("CA", limit=10, synthetic=False)[0] == []


def test_a_wrong_password_fails_the_run_at_the_login_step_with_its_screenshot(app, tmp_path):
    base, container = app
    shots = tmp_path / "shots"
    done = run_canary(deployed(tmp_path), base, "not the password", shots)
    assert done.returncode == 1
    assert "browser: still on the login page after signing in" in done.stderr
    assert [p.name for p in shots.iterdir()] == ["01-login-failed.png"]
    assert container.personnel.list_employees("CA").items == []


def test_the_scripts_pdf_is_the_local_canarys_pdf(tmp_path):
    from humangov.monitoring.checks.pdf import canary_pdf

    script = deployed(tmp_path)
    done = subprocess.run(
        ["node", "-e", "process.stdout.write(require(process.argv[1]).canaryPdf('run-7f3a'))",
         str(script)], capture_output=True, check=True, timeout=60)
    assert done.stdout == canary_pdf("run-7f3a")
