"""SCIM filters with and / or / not, pr and the string operators, over a tenant's users and groups."""

from __future__ import annotations

import httpx
import pytest

from tests.api.conftest import TenantContext
from tests.api.scim_helpers import SCIM_JSON, scim_token

pytestmark = pytest.mark.asyncio
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PEOPLE = [
    ("ada@corp.test", "Ada Lovelace", "okta-1", True),
    ("alan@corp.test", "Alan Turing", "okta-2", True),
    ("grace@navy.test", "Grace Hopper", None, False),
    ("a_b@corp.test", "Underscore", "okta-3", True),
]


@pytest.fixture
async def scim(tenant: TenantContext, client: httpx.AsyncClient) -> httpx.AsyncClient:
    token = await scim_token(tenant)
    client.headers.update({"Authorization": f"Bearer {token}", **SCIM_JSON})
    for user_name, display, external, active in PEOPLE:
        body = {"schemas": [USER], "userName": user_name, "displayName": display, "active": active}
        if external:
            body["externalId"] = external
        assert (await client.post("/scim/v2/Users", json=body)).status_code == 201
    for name in ("cab", "cab-emea", "network"):
        assert (await client.post("/scim/v2/Groups", json={"schemas": [GROUP], "displayName": name})).status_code == 201
    return client


async def _user_names(scim: httpx.AsyncClient, expression: str) -> set[str]:
    response = await scim.get("/scim/v2/Users", params={"filter": expression, "count": 200})
    assert response.status_code == 200, response.text
    body = response.json()
    names = {r["userName"] for r in body.get("Resources", [])}
    assert body["totalResults"] == len(names)
    return names


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (
            'userName sw "a" and userName ew "corp.test" and active eq true',
            {"ada@corp.test", "alan@corp.test", "a_b@corp.test"},
        ),
        ('userName eq "ada@corp.test" or userName eq "GRACE@navy.test"', {"ada@corp.test", "grace@navy.test"}),
        ('displayName co "turing"', {"alan@corp.test"}),
        ('emails.value ew "navy.test"', {"grace@navy.test"}),
        ("active eq false", {"grace@navy.test"}),
        ('not (userName ew "corp.test") and not (userName ew "example.com")', {"grace@navy.test"}),
        ('userName sw "a_"', {"a_b@corp.test"}),  # `_` is a literal, not a LIKE wildcard
        ('externalId ne "okta-1" and externalId pr', {"alan@corp.test", "a_b@corp.test"}),
        ('(userName sw "ada" or userName sw "grace") and not (active eq false)', {"ada@corp.test"}),
        ('externalId eq "OKTA-1"', set()),  # externalId is case-exact
    ],
)
async def test_user_filters_combine(scim: httpx.AsyncClient, expression: str, expected: set[str]) -> None:
    assert await _user_names(scim, expression) == expected


async def test_group_filters_combine(scim: httpx.AsyncClient) -> None:
    response = await scim.get(
        "/scim/v2/Groups", params={"filter": 'displayName sw "cab" and not (displayName eq "cab")'}
    )
    assert response.status_code == 200, response.text
    assert [g["displayName"] for g in response.json()["Resources"]] == ["cab-emea"]


async def test_a_filter_sees_only_its_own_tenant(scim: httpx.AsyncClient, make_tenant: object) -> None:
    other: TenantContext = await make_tenant()  # type: ignore[operator]
    token = await scim_token(other)
    response = await scim.get(
        "/scim/v2/Users",
        params={"filter": 'userName ew "corp.test" or userName ew "navy.test"'},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["totalResults"] == 0
