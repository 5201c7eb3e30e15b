"""Schemathesis over the whole OpenAPI document, against a real `serve` process: no answer is a 5xx, every answer
is one the document lists (status code, content type, headers, body schema), invalid input is refused, and no
operation answers without authentication what it answers with it.

One record of every kind exists first (the route sweeps' FACTORIES), and each path parameter names it, so the
operations reach their handlers instead of answering 404. Bounded for CI: `TENANTPLANE_FUZZ_EXAMPLES` examples per
operation (default 12) and a fixed seed (`TENANTPLANE_FUZZ_SEED`, default 1); raise both for a deeper run.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import TenantContext
from tests.api.sweeps import collect
from tests.support.pgcluster import _free_port

pytestmark = pytest.mark.system
ROOT = Path(__file__).resolve().parents[2]
FACTORIES = collect("FACTORIES")
CONFORMANCE = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)
POSITIVE = (*CONFORMANCE, "ignored_auth")
NEGATIVE = (*CONFORMANCE, "negative_data_rejection")


def _serve(settings_env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    cli = [sys.executable, "-m", "tenantplane.cli", "serve", "--no-worker", "--port", str(port)]
    return subprocess.Popen(cli, env=settings_env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _schemathesis(
    binary: str,
    config: Path | None,
    base: str,
    token: str,
    mode: str,
    checks: tuple[str, ...],
    examples: str,
    seed: str,
) -> subprocess.CompletedProcess[str]:
    # The coverage phase's negative cases hit a CPython 3.11 bug in hypothesis' strategy descriptions now and then
    # ("AST constructor recursion depth mismatch", a runtime error of the tool, not of the API): the fuzzing phase
    # generates the invalid requests.
    phases = "examples,coverage,fuzzing" if mode == "positive" else "examples,fuzzing"
    given = ["--config-file", str(config)] if config is not None else []
    return subprocess.run(
        [
            binary,
            *given,
            "run",
            f"{base}/openapi.json",
            "--header",
            f"Authorization: Bearer {token}",
            "--mode",
            mode,
            "--checks",
            ",".join(checks),
            "--phases",
            phases,
            "--max-examples",
            examples,
            "--seed",
            seed,
            "--workers",
            "2",
            "--request-timeout",
            "20",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=config.parent if config is not None else Path(tempfile.mkdtemp(prefix="tp-fuzz-")),
    )


# A CPython 3.11 bug, hit by hypothesis describing a strategy in a worker thread: the tool's own runtime error for
# one operation, not a finding about the API. A run that only has this error (no failure) is made again.
TOOL_BUG = "AST constructor recursion depth mismatch"


def _fuzz(*args: object) -> subprocess.CompletedProcess[str]:
    for _ in range(3):
        run = _schemathesis(*args)  # type: ignore[arg-type]
        report = run.stdout + run.stderr
        if run.returncode == 0 or TOOL_BUG not in report or "Failures:" in report:
            return run
    return run


async def _parameters(tenant: TenantContext) -> dict[str, str]:
    """One record of each kind a path names, created in the fuzzed tenant."""
    schema = (await tenant.client.get("/openapi.json")).json()
    names = {
        p["name"]
        for item in schema["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict)
        for p in operation.get("parameters", [])
        if p["in"] == "path"
    }
    # The platform's tenant routes get the fuzzed tenant. Generated, not given: a webhook's secret token (a public
    # route: any token but a real one is a 404) and a version number (given one, an invalid one could not be sent).
    given = {"tenant_id": tenant.id}
    names -= {"token", "version"}
    missing = sorted(names - set(FACTORIES) - set(given))
    assert not missing, f"no factory for path parameters {missing}"
    made = {name: str(await FACTORIES[name](tenant, tenant.client)) for name in sorted(names & set(FACTORIES))}
    return {**made, **given}


async def test_the_api_answers_only_what_its_openapi_document_says(
    tenant: TenantContext, settings: object, tmp_path: Path
) -> None:
    schemathesis = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or shutil.which("schemathesis")
    assert schemathesis is not None, "schemathesis is a dev dependency: make install"
    parameters = await _parameters(tenant)
    config = tmp_path / "schemathesis.toml"
    lines = ["[parameters]", *(f'"path.{name}" = "{value}"' for name, value in parameters.items())]
    config.write_text("\n".join(lines) + "\n")
    port = _free_port()
    env = {
        **os.environ,
        "TENANTPLANE_DATABASE_URL": settings.database_url,  # type: ignore[attr-defined]
        "TENANTPLANE_SECRET_KEY": settings.secret_key,  # type: ignore[attr-defined]
        "TENANTPLANE_DATA_DIR": str(tmp_path),
        "TENANTPLANE_LOG_LEVEL": "ERROR",
        "TENANTPLANE_ALLOWED_EGRESS_HOSTS": "127.0.0.1",
        "TENANTPLANE_API_RATE_PER_SECOND": "1000",  # the fuzzer's pace: what it checks are the other answers
    }
    server = _serve(env, port)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not become ready"
            time.sleep(0.2)
        examples = os.environ.get("TENANTPLANE_FUZZ_EXAMPLES", "10")
        seed = os.environ.get("TENANTPLANE_FUZZ_SEED", "1")
        # Valid requests on the real records (their ids given), then invalid ones with nothing given: a given id
        # would turn a generated bad one back into a good request.
        runs = [
            _fuzz(schemathesis, config, base, tenant.admin.token, "positive", POSITIVE, examples, seed),
            _fuzz(schemathesis, None, base, tenant.admin.token, "negative", NEGATIVE, examples, seed),
        ]
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    for mode, run in zip(("positive", "negative"), runs, strict=True):
        report = run.stdout + run.stderr
        failures = report[report.find("FAILURES") :] if "FAILURES" in report else report[-4000:]
        assert run.returncode == 0, f"schemathesis ({mode}, seed {seed}) found problems:\n{failures[:12000]}"
        generated = re.search(r"(\d+) generated", report)
        assert generated is not None, report[-2000:]
        assert int(generated.group(1)) > 500, f"too few {mode} cases to mean anything: {generated.group(0)}"
    assert server.stderr is not None
    logged = server.stderr.read().decode(errors="replace")
    assert "Traceback" not in logged, logged[-4000:]
