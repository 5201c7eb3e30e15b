"""ID-token checks with keys made here: signature, issuer, audience, nonce and expiry refused when wrong, and a
rotated key picked up after one refetch of the JWKS a real HTTP server on 127.0.0.1 serves."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from tenantplane.identity.oidc.verify import Egress, OidcError, ProviderDirectory, directory_keys, verify_id_token

AUDIENCE = "tenant-plane-client"
NONCE = "n-0S6_WzA2Mj"


class _Idp:
    """Serves a discovery document and a JWKS that a test may swap (key rotation); counts JWKS requests."""

    def __init__(self) -> None:
        self.keys: list[RSAKey] = [RSAKey.generate_key(2048, parameters={"kid": "key-1"})]
        self.jwks_requests = 0
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/.well-known/openid-configuration":
                    body: dict[str, Any] = {
                        "issuer": idp.issuer,
                        "authorization_endpoint": f"{idp.issuer}/authorize",
                        "token_endpoint": f"{idp.issuer}/token",
                        "jwks_uri": f"{idp.issuer}/jwks",
                    }
                elif self.path == "/jwks":
                    idp.jwks_requests += 1
                    body = KeySet(list(idp.keys)).as_dict(private=False)
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"

    def token(self, key: RSAKey | None = None, **overrides: Any) -> str:
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": AUDIENCE, "sub": "alice", "nonce": NONCE, "iat": now, "exp": now + 300}
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        signing = key or self.keys[0]
        return jwt.encode({"alg": "RS256", "kid": signing.kid}, claims, signing)


@pytest.fixture
def idp() -> Iterator[_Idp]:
    server = _Idp()
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


EGRESS = Egress(operator_allowed=("127.0.0.1",))


async def _verify(idp: _Idp, directory: ProviderDirectory, token: str, **expect: Any) -> dict[str, Any]:
    discovery = await directory.discovery(idp.issuer, EGRESS)
    return await verify_id_token(
        token,
        keys=directory_keys(directory, discovery, EGRESS),
        issuer=expect.get("issuer", idp.issuer),
        audience=expect.get("audience", AUDIENCE),
        nonce=expect.get("nonce", NONCE),
    )


async def test_a_good_token_is_accepted(idp: _Idp) -> None:
    claims = await _verify(idp, ProviderDirectory(), idp.token())
    assert claims["sub"] == "alice"


@pytest.mark.parametrize(
    ("overrides", "expect"),
    [
        ({"aud": "someone-else"}, {}),
        ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, {}),
        ({"nonce": "replayed"}, {}),
        ({"nonce": None}, {}),
        ({"iss": "https://evil.example.com"}, {}),
        ({}, {"audience": "other-client"}),
    ],
    ids=["wrong-audience", "expired", "bad-nonce", "no-nonce", "wrong-issuer", "not-our-client"],
)
async def test_a_bad_token_is_refused(idp: _Idp, overrides: dict[str, Any], expect: dict[str, Any]) -> None:
    with pytest.raises(OidcError) as refused:
        await _verify(idp, ProviderDirectory(), idp.token(**overrides), **expect)
    assert refused.value.reason == "bad_token"


async def test_a_token_signed_by_an_unpublished_key_is_refused_after_one_refetch(idp: _Idp) -> None:
    directory = ProviderDirectory()
    stranger = RSAKey.generate_key(2048, parameters={"kid": "key-1"})  # same kid, other key: the signature fails
    with pytest.raises(OidcError, match="refused"):
        await _verify(idp, directory, idp.token(key=stranger))
    unknown = RSAKey.generate_key(2048, parameters={"kid": "never-published"})
    with pytest.raises(OidcError, match="does not publish"):
        await _verify(idp, directory, idp.token(key=unknown))
    assert directory.fetches == 2  # the first fetch, and one refetch for the unknown kid


async def test_a_rotated_key_is_picked_up_after_one_refetch(idp: _Idp) -> None:
    directory = ProviderDirectory()
    await _verify(idp, directory, idp.token())
    await _verify(idp, directory, idp.token())
    assert idp.jwks_requests == 1  # cached
    idp.keys = [RSAKey.generate_key(2048, parameters={"kid": "key-2"})]  # the IdP rotates: key-1 is gone
    claims = await _verify(idp, directory, idp.token())
    assert claims["sub"] == "alice"
    assert idp.jwks_requests == 2
    await _verify(idp, directory, idp.token())
    assert idp.jwks_requests == 2


async def test_the_idp_host_must_pass_the_egress_guard(idp: _Idp) -> None:
    with pytest.raises(OidcError) as refused:
        await ProviderDirectory().discovery(idp.issuer, Egress(operator_allowed=()))
    assert refused.value.reason == "idp_unreachable"
    assert "non-public address" in refused.value.detail


async def test_a_discovery_document_of_another_issuer_is_refused(idp: _Idp) -> None:
    with pytest.raises(OidcError) as refused:
        await ProviderDirectory().discovery(idp.issuer + "/other", EGRESS)
    assert refused.value.reason in {"idp_unreachable", "idp_misconfigured"}
