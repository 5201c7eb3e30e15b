"""Every send path holds its own connection to the egress rules, not only the check before it: the webhook and
e-mail senders, the Apprise sender (json:// and mailto:// with `smtp=`) and the runbook `http` action, each called
directly with a channel no save-time check ever saw. Real listeners on 127.0.0.1 show that nothing arrived."""

from __future__ import annotations

import uuid

import pytest

from tenantplane.jobs.registry import PermanentFailure
from tenantplane.notifications.channel_config import AppriseConfig, EmailConfig, WebhookConfig
from tenantplane.notifications.destinations import Egress
from tenantplane.notifications.senders import Outgoing, send_apprise, send_email, send_webhook
from tenantplane.runbooks.http_action import EgressPolicy, run_http
from tenantplane.runbooks.outputs import SecretMask
from tests.listeners import Listener

STRICT = Egress(operator_allowed=())
LOOPBACK_ALLOWED = Egress(operator_allowed=("127.0.0.1",))
OUTGOING = Outgoing(uuid.uuid4(), "channel", "ops@example.com", "subject", "body", None)


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "127.1", "[::ffff:127.0.0.1]"])
async def test_the_webhook_sender_refuses_for_good_at_connect(host: str, http_listener: Listener) -> None:
    config = WebhookConfig(url=f"http://{host}:{http_listener.port}/hook")
    with pytest.raises(PermanentFailure, match="egress denied"):
        await send_webhook(config, OUTGOING, STRICT)
    assert http_listener.received == []
    await send_webhook(config, OUTGOING, LOOPBACK_ALLOWED)
    assert http_listener.received == ["/hook"]


@pytest.mark.parametrize("host", ["127.0.0.1", "2130706433", "::ffff:127.0.0.1", "localhost"])
async def test_the_email_sender_refuses_for_good_at_connect(host: str, smtp_listener: Listener) -> None:
    config = EmailConfig.model_validate(
        {"host": host, "port": smtp_listener.port, "tls": "none", "from": "plane@example.com"}
    )
    with pytest.raises(PermanentFailure, match=r"egress denied: .*non-public address"):
        await send_email(config, OUTGOING, STRICT)
    assert smtp_listener.received == []
    await send_email(config, OUTGOING, LOOPBACK_ALLOWED)
    assert smtp_listener.received == [["ops@example.com"]]


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "localhost"])
async def test_the_apprise_sender_holds_apprises_own_connections_to_the_rules(
    host: str, http_listener: Listener
) -> None:
    config = AppriseConfig(url=f"json://{host}:{http_listener.port}/apprise")
    with pytest.raises(PermanentFailure, match=r"egress denied: .*non-public address \(127\.0\.0\.1\)"):
        await send_apprise(config, OUTGOING, STRICT)
    assert http_listener.received == []
    await send_apprise(config, OUTGOING, LOOPBACK_ALLOWED)
    assert http_listener.received == ["/apprise"]


@pytest.mark.parametrize("host", ["[::1]", "[::ffff:127.0.0.1]", "[::127.0.0.1]", "[64:ff9b::7f00:1]", "[fe80::1]"])
async def test_the_apprise_sender_refuses_ipv6_literals_that_lead_to_private_addresses(
    host: str, http_listener: Listener
) -> None:
    config = AppriseConfig(url=f"json://{host}:{http_listener.port}/apprise")
    with pytest.raises(PermanentFailure, match=r"egress denied: .*non-public address"):
        await send_apprise(config, OUTGOING, STRICT)
    assert http_listener.received == []


@pytest.mark.parametrize("smtp", ["127.0.0.1", "2130706433", "localhost"])
async def test_the_apprise_mailto_smtp_override_is_held_to_the_rules(smtp: str, smtp_listener: Listener) -> None:
    # The address in the URL (a public one, never contacted: smtp= replaces it) is not what Apprise connects to.
    url = f"mailto://93.184.216.34:{smtp_listener.port}?smtp={smtp}&from=a@example.com&to=b@example.com&mode=insecure"
    config = AppriseConfig(url=url)
    with pytest.raises(PermanentFailure, match="egress denied"):
        await send_apprise(config, OUTGOING, STRICT)
    assert smtp_listener.received == []
    await send_apprise(config, OUTGOING, LOOPBACK_ALLOWED)
    assert smtp_listener.received == [["b@example.com"]]


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "127.1", "[::127.0.0.1]", "[::ffff:127.0.0.1]"])
async def test_the_runbook_http_action_refuses_every_form(host: str, http_listener: Listener) -> None:
    config = {"method": "GET", "url": f"http://{host}:{http_listener.port}/runbook"}
    outcome = await run_http(config, timeout=5, egress=EgressPolicy([], []), mask=SecretMask({}))
    assert outcome.status == "failed"
    assert outcome.reason is not None
    assert "egress denied" in outcome.reason
    assert http_listener.received == []


async def test_the_runbook_http_action_reports_a_url_it_cannot_send_as_a_failed_step(http_listener: Listener) -> None:
    for url in (f"http://0177.0.0.1:{http_listener.port}/", "http://[::1/"):
        outcome = await run_http(
            {"method": "GET", "url": url}, timeout=5, egress=EgressPolicy(["127.0.0.1"], []), mask=SecretMask({})
        )
        assert outcome.status == "failed", url
    assert http_listener.received == []
