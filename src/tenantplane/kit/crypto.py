"""Encryption of stored secrets (tenant secrets, channel credentials) with a key derived from the instance secret.

Fernet (AES-128-CBC + HMAC-SHA256) from `cryptography`; the key is HKDF(secret key, purpose).
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class SecretUnreadable(Exception):
    """The ciphertext was not made with this instance's key (or was tampered with)."""


def _fernet(instance_secret: str, purpose: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"tenantplane:{purpose}".encode()).derive(
        instance_secret.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(instance_secret: str, plaintext: str, *, purpose: str = "secrets") -> str:
    return _fernet(instance_secret, purpose).encrypt(plaintext.encode()).decode()


def decrypt(instance_secret: str, ciphertext: str, *, purpose: str = "secrets") -> str:
    try:
        return _fernet(instance_secret, purpose).decrypt(ciphertext.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("a stored secret cannot be decrypted with this instance's secret key") from exc
