"""Sweep registry entries for Slack (see tests/api/sweeps.py)."""

from __future__ import annotations

import httpx

from tests.api.conftest import TenantContext
from tests.api.sweeps import Ids
from tests.support.slack_standin import BOT_TOKEN, SIGNING_SECRET

APP = "/api/slack/app"
BODY = {"bot_token": BOT_TOKEN, "signing_secret": SIGNING_SECRET}

PUBLIC = {
    # Slack calls it, signed with the app's signing secret (v0 HMAC over the timestamp and body, at most five minutes
    # old): that signature is the credential; the slug only says whose signing secret to check it with.
    ("post", "/api/slack/interactivity/{tenant_slug}"): "Slack's interactivity requests, authenticated by their "
    "signature",
}
CROSS_TENANT_PREFIXES = {
    "/api/slack/interactivity/": "named by tenant slug and signed by that tenant's Slack app; decisions in it are "
    "audited by the approval they decide (tests/api/test_slack_interactivity.py)",
}


async def _nothing(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    return {}


async def _app(c: httpx.AsyncClient, t: TenantContext) -> Ids:
    r = await c.put(APP, json=BODY, headers=t.admin.headers)
    assert r.status_code == 200, r.text
    return {}


AUDIT_SCENARIOS = {
    ("put", APP): (_nothing, lambda c, t, i: c.put(APP, json=BODY, headers=t.admin.headers)),
    ("delete", APP): (_app, lambda c, t, i: c.delete(APP, headers=t.admin.headers)),
}
NOT_MUTATIONS = {
    ("post", APP + "/test"): "calls Slack's auth.test with the stored token; keeps only the workspace id and name",
}
