"""Health, readiness and metrics endpoints answer without credentials."""

from __future__ import annotations

import httpx
import pytest

from tenantplane.app import create_app
from tenantplane.jobs.worker import RunnerOptions
from tenantplane.settings import Settings


async def test_healthz_answers_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_database_and_migrations_at_head(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready"
    assert body["migration"]


async def test_metrics_count_requests_by_route_template(client: httpx.AsyncClient) -> None:
    await client.get("/healthz")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert 'tenantplane_http_requests_total{method="GET",route="/healthz",status="200"}' in response.text
    assert "tenantplane_http_request_duration_seconds_bucket" in response.text


async def test_every_response_carries_a_request_id(client: httpx.AsyncClient) -> None:
    given = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    generated = await client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert generated.headers["x-request-id"] != "bad id with spaces"
    assert len(generated.headers["x-request-id"]) == 32


@pytest.mark.parametrize(
    ("python", "expected"),
    [(None, "runbook sandbox ready"), ("/opt/venv/bin/python3", "python actions cannot run: /opt/venv/bin/python3")],
)
async def test_readyz_of_a_process_with_a_worker_says_whether_runbook_scripts_can_run(
    settings: Settings, python: str | None, expected: str
) -> None:
    app = create_app(settings.model_copy(update={"runbook_python": python}), worker=RunnerOptions(queues=["idle"]))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        response = await client.get("/readyz")
    assert response.status_code == 200, response.text  # the API itself is ready either way
    assert expected in response.json()["runbook_sandbox"]


async def test_readyz_of_an_api_without_a_worker_says_nothing_of_scripts(client: httpx.AsyncClient) -> None:
    assert "runbook_sandbox" not in (await client.get("/readyz")).json()
