"""Buttons of a notice (Approve / Reject): a label and an absolute URL that carries a credential (a signed link).

Sealed (encrypted) in the delivery row until it is sent, then forgotten: the raw link lives only in the message.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from tenantplane.kit.crypto import decrypt, encrypt

CRYPTO_PURPOSE = "notice-actions"


@dataclass(frozen=True)
class Action:
    label: str
    url: str


def seal_actions(secret_key: str, actions: Sequence[Action]) -> str | None:
    if not actions:
        return None
    return encrypt(secret_key, json.dumps([[a.label, a.url] for a in actions]), purpose=CRYPTO_PURPOSE)


def unseal_actions(secret_key: str, sealed: str | None) -> tuple[Action, ...]:
    """The actions of a delivery (SecretUnreadable when sealed with another instance key)."""
    if not sealed:
        return ()
    return tuple(
        Action(str(label), str(url)) for label, url in json.loads(decrypt(secret_key, sealed, purpose=CRYPTO_PURPOSE))
    )


def actions_text(actions: Sequence[Action]) -> str:
    """The actions as lines of a plain-text message."""
    return "\n".join(f"{action.label}: {action.url}" for action in actions)
