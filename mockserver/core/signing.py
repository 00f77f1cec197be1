"""Webhook signatures, made and checked with nothing but the standard library.

Receivers written in Python can import this (or `mockserver.verify_signature`) without pulling
in the server.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac


def sign(secret: str, body: bytes) -> str:
    """The value of `X-Doitong-Signature` for a body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """Check `X-Doitong-Signature` against the raw body bytes, in constant time.

    Pass the body exactly as received, before any JSON parsing.
    """
    if not header:
        return False
    expected = sign(secret, body)
    return hmac.compare_digest(expected.encode(), header.strip().lower().encode())


def standard_webhooks_key(secret: str) -> bytes:
    """The signing key of a `whsec_<base64>` secret, decoded as the spec's own libraries do."""
    try:
        key = base64.b64decode(secret.removeprefix("whsec_") + "==")
    except (binascii.Error, ValueError):
        key = b""
    return key or secret.encode()


def standard_signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The value of Standard Webhooks' `webhook-signature` (`v1,<base64>` over `id.timestamp.body`)."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(standard_webhooks_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()
