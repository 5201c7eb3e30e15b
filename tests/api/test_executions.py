"""Runbook executions on a real in-process worker: outputs, parameters as data, secrets, failures, versions.

Scripts run for real in the sandbox; each test reads the result back through the API only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from tenantplane.jobs.worker import ExecutionJobRunner
from tests.api.conftest import TenantContext
from tests.api.sweep_runbooks import create_runbook, create_secret, execute, wait_for_execution
from tests.conftest import shared_with_runbooks

SECRET = "hunter2-do-not-leak"
SECRET_SHA256 = hashlib.sha256(SECRET.encode()).hexdigest()


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory the script's throwaway user may write into (scripts do not run as the test's user)."""
    path = shared_with_runbooks("tp-test-")
    yield path
    for child in path.iterdir():
        child.unlink()
    path.rmdir()


async def test_actions_run_in_order_and_each_sees_the_outputs_before_it(
    client: httpx.AsyncClient, tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    runbook = await create_runbook(
        tenant,
        client,
        actions=[
            {"name": "greet", "type": "shell", "script": 'echo "greeting=hello" >> "$TP_OUTPUT"; echo greeted'},
            {
                "name": "count",
                "type": "python",
                "script": "import json, os, sys\n"
                "seen = json.load(sys.stdin)['outputs']['greeting']\n"
                "doc = {'count': 3, 'seen': os.environ['TP_OUTPUT_GREETING'] + '!', 'from_stdin': seen}\n"
                "open(os.environ['TP_OUTPUT'], 'w').write(json.dumps(doc))\n",
            },
            {"name": "sum_up", "type": "echo", "values": {"summary": "{{ outputs.greeting }} x{{ outputs.count }}"}},
        ],
    )
    done = await wait_for_execution(client, tenant.admin, await execute(client, tenant.admin, runbook["id"]))
    assert done["status"] == "succeeded", done
    assert done["outputs"] == {
        "greeting": "hello",
        "count": 3,
        "seen": "hello!",
        "from_stdin": "hello",
        "summary": "hello x3",
    }
    assert [(s["name"], s["status"], s["exit_code"]) for s in done["steps"]] == [
        ("greet", "succeeded", 0),
        ("count", "succeeded", 0),
        ("sum_up", "succeeded", None),
    ]
    assert done["steps"][0]["log"] == "greeted\n"
    assert done["started_at"] <= done["finished_at"]


async def test_a_parameter_that_looks_like_a_command_stays_data(
    client: httpx.AsyncClient, tenant: TenantContext, worker: ExecutionJobRunner, shared_dir: Path
) -> None:
    marker = shared_dir / "keep-me"
    marker.write_text("still here")
    marker.chmod(0o666)
    hostile = f"x; rm -rf {shared_dir}/*; echo pwned $(rm -f {marker}) `rm -f {marker}`"
    runbook = await create_runbook(
        tenant,
        client,
        parameters={"type": "object", "properties": {"target": {"type": "string"}}},
        actions=[
            {
                "name": "shell",
                "type": "shell",
                "script": 'echo target=$TP_PARAM_TARGET\nprintf "value=%s" "$TP_PARAM_TARGET" >> "$TP_OUTPUT"',
            },
            {
                "name": "py",
                "type": "python",
                "script": "import json, os, sys\nv = json.load(sys.stdin)['parameters']['target']\n"
                "open(os.environ['TP_OUTPUT'], 'w').write(json.dumps({'from_python': v}))",
            },
        ],
    )
    execution_id = await execute(client, tenant.admin, runbook["id"], {"target": hostile})
    done = await wait_for_execution(client, tenant.admin, execution_id)
    assert done["status"] == "succeeded", done
    assert marker.read_text() == "still here"
    assert done["outputs"] == {"value": hostile, "from_python": hostile}
    assert "pwned" in done["steps"][0]["log"]


async def test_a_secret_reaches_the_script_as_its_variable_and_is_masked_everywhere(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    await create_secret(tenant, client, "API_TOKEN", SECRET)
    runbook = await create_runbook(
        tenant,
        client,
        secrets=["API_TOKEN"],
        actions=[
            {
                "name": "use",
                "type": "shell",
                "script": 'echo "token is $API_TOKEN"\n'
                f'[ "$(printf %s "$API_TOKEN" | sha256sum | cut -c1-64)" = "{SECRET_SHA256}" ] && echo matches\n'
                'echo "token=$API_TOKEN" >> "$TP_OUTPUT"',
            },
            {"name": "again", "type": "echo", "values": {"header": "Bearer {{ secrets.API_TOKEN }}"}},
        ],
    )
    execution_id = await execute(client, tenant.admin, runbook["id"])
    done = await wait_for_execution(client, tenant.admin, execution_id)
    assert done["status"] == "succeeded", done
    assert done["steps"][0]["log"] == "token is ***\nmatches\n"
    assert done["outputs"] == {"token": "***", "header": "Bearer ***"}

    headers = tenant.admin.headers
    seen = [
        await client.get(f"/api/executions/{execution_id}", headers=headers),
        await client.get("/api/executions", headers=headers),
        await client.get(f"/api/executions/{execution_id}/logs", headers=headers),
        await client.get(f"/api/runbooks/{runbook['id']}", headers=headers),
        await client.get("/api/secrets", headers=headers),
        await client.get("/api/audit", params={"limit": 200}, headers=headers),
        await client.get("/api/jobs", headers=headers),
    ]
    for response in seen:
        assert response.status_code == 200, response.text
        assert SECRET not in response.text
    assert "token is ***" in seen[2].text
    async with app.state.db.transaction() as session:
        stored = await session.scalar(
            text(
                "SELECT (SELECT count(*) FROM executions e WHERE e.id = :id AND e::text LIKE :secret)"
                " + (SELECT count(*) FROM step_runs s WHERE s.execution_id = :id AND s::text LIKE :secret)"
                " + (SELECT count(*) FROM execution_log_chunks c WHERE c.execution_id = :id AND c::text LIKE :secret)"
                " + (SELECT count(*) FROM jobs j WHERE j::text LIKE :secret)"
                " + (SELECT count(*) FROM audit_events a WHERE a::text LIKE :secret)"
                " + (SELECT count(*) FROM secrets k WHERE k::text LIKE :secret)"
            ),
            {"id": execution_id, "secret": f"%{SECRET}%"},
        )
    assert stored == 0


async def test_a_failing_script_fails_the_execution_with_its_exit_code_and_skips_the_rest(
    client: httpx.AsyncClient, tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    runbook = await create_runbook(
        tenant,
        client,
        actions=[
            {"name": "check", "type": "shell", "script": "echo checking; echo 'disk full' >&2; exit 3"},
            {"name": "never", "type": "shell", "script": "echo should not run"},
        ],
    )
    done = await wait_for_execution(client, tenant.admin, await execute(client, tenant.admin, runbook["id"]))
    assert done["status"] == "failed"
    check, never = done["steps"]
    assert (check["status"], check["exit_code"], check["reason"]) == ("failed", 3, "exit code 3")
    assert "disk full" in check["log"]
    assert (never["status"], never["started_at"]) == ("skipped", None)
    assert "check" in done["error"]
    assert "exit code 3" in done["error"]


async def test_a_script_running_past_the_runbook_timeout_is_killed_and_timed_out(
    client: httpx.AsyncClient, tenant: TenantContext, worker: ExecutionJobRunner, shared_dir: Path
) -> None:
    marker = shared_dir / "late"
    script = f"echo started; sleep 20; touch {marker}"
    runbook = await create_runbook(
        tenant, client, timeout_seconds=1, actions=[{"name": "slow", "type": "shell", "script": script}]
    )
    done = await wait_for_execution(client, tenant.admin, await execute(client, tenant.admin, runbook["id"]))
    assert done["status"] == "timed_out"
    assert done["steps"][0]["status"] == "timed_out"
    assert done["steps"][0]["log"] == "started\n"
    assert "timeout" in done["error"]
    assert not marker.exists()


async def test_an_execution_keeps_the_version_it_started_with(
    client: httpx.AsyncClient, tenant: TenantContext, worker: ExecutionJobRunner
) -> None:
    def version(tag: str, pause: float) -> dict[str, object]:
        script = f'sleep {pause}; echo "which={tag}" >> "$TP_OUTPUT"'
        return {"name": "pinned", "actions": [{"name": "tag", "type": "shell", "script": script}]}

    headers = tenant.admin.headers
    runbook = await create_runbook(tenant, client, **version("v1", 1.0))
    first = await execute(client, tenant.admin, runbook["id"])
    await wait_for_execution(client, tenant.admin, first, until=frozenset({"running"}))
    edited = await client.put(f"/api/runbooks/{runbook['id']}", json=version("v2", 0), headers=headers)
    assert edited.json()["version"] == 2
    first_done = await wait_for_execution(client, tenant.admin, first)
    second_done = await wait_for_execution(client, tenant.admin, await execute(client, tenant.admin, runbook["id"]))
    assert (first_done["runbook_version"], first_done["outputs"]) == (1, {"which": "v1"})
    assert (second_done["runbook_version"], second_done["outputs"]) == (2, {"which": "v2"})


async def test_users_see_their_own_executions_unless_they_may_read_all(
    client: httpx.AsyncClient, tenant: TenantContext
) -> None:
    runbook = await create_runbook(tenant, client)
    execution_id = await execute(client, tenant.admin, runbook["id"])
    requester, engineer = await tenant.user(), await tenant.user(["automation_engineer"])
    assert (await client.get("/api/executions", headers=requester.headers)).json()["items"] == []
    assert (await client.get(f"/api/executions/{execution_id}", headers=requester.headers)).status_code == 404
    logs = await client.get(f"/api/executions/{execution_id}/logs", headers=requester.headers)
    assert logs.status_code == 404
    listed = await client.get("/api/executions", params={"kind": "runbook"}, headers=engineer.headers)
    assert [e["id"] for e in listed.json()["items"]] == [execution_id]
    none_running = await client.get("/api/executions", params={"status": "running"}, headers=engineer.headers)
    assert none_running.json()["items"] == []
    assert (await client.get(f"/api/executions/{execution_id}", headers=engineer.headers)).status_code == 200
