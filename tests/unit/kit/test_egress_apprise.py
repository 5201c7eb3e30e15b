"""Which hosts an Apprise URL will contact, as Apprise's own parser reads it; odd URLs are a 422, never a crash."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenantplane.kit.egress import parse_address
from tenantplane.kit.errors import ValidationFailed
from tenantplane.notifications.channel_config import AppriseConfig, apprise_service, parse_config
from tenantplane.notifications.destinations import apprise_hosts


@pytest.mark.parametrize(
    ("url", "hosts"),
    [
        ("json://2130706433:8399/", [("host", "2130706433")]),
        ("json://[::1]:8080/x", [("host", "[::1]")]),
        ("mmost://2130706433/token", [("host", "2130706433")]),
        (
            "mailto://93.184.216.34?smtp=127.0.0.1&from=a@example.com",
            [("host", "93.184.216.34"), ("smtp=", "127.0.0.1")],
        ),
        ("mailto://user:pass@gmail.com", [("host", "gmail.com"), ("smtp=", "smtp.gmail.com")]),
        ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ", []),  # a token where the host goes
        ("tgram://2130706433:AAFabc/123", []),
    ],
)
def test_the_hosts_of_an_apprise_url_come_from_the_plugins_own_description(
    url: str, hosts: list[tuple[str, str]]
) -> None:
    assert list(apprise_hosts(apprise_service(url))) == hosts


@pytest.mark.parametrize("url", ["json://a.example.com/ json://2130706433/", "json://a.example.com/,json://b/"])
def test_a_second_url_cannot_hide_behind_the_first(url: str) -> None:
    with pytest.raises(ValidationFailed, match="single Apprise URL") as refused:
        parse_config("apprise", {"url": url})
    assert refused.value.errors is not None
    assert [e["field"] for e in refused.value.errors] == ["config.url"]


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["json", "jsons", "xml", "form", "mailto", "mailtos", "ntfy", "gotify", "mmost", "apprise"]),
    st.text(alphabet=st.sampled_from("[]:%@?&=/.,0123456789abcfx-_ \\"), max_size=40),
)
def test_any_apprise_url_is_a_config_or_a_422_and_its_hosts_can_be_judged(scheme: str, rest: str) -> None:
    fields: list[str] = []
    try:
        config = parse_config("apprise", {"url": f"{scheme}://{rest}"})
    except ValidationFailed as refused:
        fields = [e["field"] for e in refused.errors or [{"field": "(none)"}]]
    if fields:
        assert fields == ["config.url"]
        return
    assert isinstance(config, AppriseConfig)
    for _, host in apprise_hosts(apprise_service(config.url)):
        parse_address(host)  # never raises: an address in some form, or a name for the resolver
