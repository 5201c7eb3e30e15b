"""Sweep registry entries for the signed action-link routes (see tests/api/sweeps.py).

The token in the path is the credential: these routes read no caller, so they are public and take no tenant's ids;
tests/api/test_action_links.py checks that a token only ever acts on its own subject as its own person, and that
its POST writes exactly one audit event.
"""

from __future__ import annotations

LINK = "/api/action-links/{token}"
PUBLIC = {
    ("get", LINK): "a signed link from an approval notice: its token is the credential (the page works before sign-in)",
    ("post", LINK): "decides as the link's person with its token as the credential; single use, expiring",
}
CROSS_TENANT_PREFIXES = {
    "/api/action-links/": "token-authenticated: no tenant ids in the path and no caller read, so another tenant's "
    "admin holds exactly what anyone holding the token holds (test_action_links.py: own subject, own person)",
}
