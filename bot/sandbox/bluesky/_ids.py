"""The identifiers a PDS makes: session tokens (JWTs), record keys (TIDs) and record CIDs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

import libipld

from ._lexicon import Invalid

TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
"""base32-sortable, the alphabet of TIDs (atproto.com/specs/tid)."""
ACCESS_SCOPE = "com.atproto.appPass"
"""The scope of an access token made from an app password (packages/pds, auth-scope.ts)."""
REFRESH_SCOPE = "com.atproto.refresh"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Tokens:
    """Signs and checks the PDS's HS256 session tokens (`at+jwt` access, `refresh+jwt`)."""

    def __init__(self, audience: str) -> None:
        self._key = secrets.token_bytes(32)
        self.audience = audience
        self.revoked: set[str] = set()
        self.skew = 0.0
        """Seconds the PDS's clock is ahead of this machine's."""

    def make(self, did: str, *, refresh: bool, lifetime: float) -> str:
        """A token for `did` expiring `lifetime` seconds from now."""
        now = int(time.time() + self.skew)
        header = {"typ": "refresh+jwt" if refresh else "at+jwt", "alg": "HS256"}
        claims: dict[str, Any] = {
            "scope": REFRESH_SCOPE if refresh else ACCESS_SCOPE,
            "aud": self.audience,
            "sub": did,
            "iat": now,
            "exp": int(now + lifetime),
        }
        if refresh:
            claims["jti"] = secrets.token_urlsafe(24)
        signing = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        signature = hmac.new(self._key, signing.encode(), hashlib.sha256).digest()
        return f"{signing}.{_b64(signature)}"

    def read(self, token: str, *, refresh: bool) -> dict[str, Any]:
        """The claims of a valid token of that kind; `Invalid` naming the PDS's error if not:
        ``ExpiredToken`` (expired or revoked) or ``InvalidToken``."""
        try:
            head, body, signature = token.split(".")
            expected = hmac.new(self._key, f"{head}.{body}".encode(), hashlib.sha256).digest()
            header = json.loads(_unb64(head))
            claims: dict[str, Any] = json.loads(_unb64(body))
            valid = hmac.compare_digest(expected, _unb64(signature))
        except ValueError:
            raise Invalid("InvalidToken: Token could not be verified") from None
        kind = "refresh+jwt" if refresh else "at+jwt"
        if not valid or header.get("typ") != kind:
            raise Invalid("InvalidToken: Token could not be verified")
        if claims.get("exp", 0) <= time.time() + self.skew:
            raise Invalid("ExpiredToken: Token has expired")
        if refresh and claims.get("jti") in self.revoked:
            raise Invalid("ExpiredToken: Token has been revoked")
        return claims


class Clock:
    """TIDs: microseconds since the epoch and a clock id, never the same twice, always rising."""

    def __init__(self) -> None:
        self.clock_id = secrets.randbelow(1024)
        self._last = 0

    def next(self) -> str:
        """The next TID, as a record key."""
        micros = max(time.time_ns() // 1000, self._last + 1)
        self._last = micros
        return tid(micros << 10 | self.clock_id)

    def at(self, when: float, sequence: int) -> str:
        """A TID of the time `when` (epoch seconds), the `sequence`-th made then: a record
        made at that time (its key, as the PDS made it then); those made next come after."""
        micros = int(when * 1_000_000) + sequence
        self._last = max(self._last, micros)
        return tid(micros << 10 | self.clock_id)


def tid(number: int) -> str:
    """A 64-bit integer as a TID: 13 base32-sortable characters."""
    return "".join(TID_ALPHABET[(number >> (5 * (12 - i))) & 31] for i in range(13))


def cid_of(record: dict[str, Any]) -> str:
    """The record's CID as the PDS computes it: CIDv1, DAG-CBOR, SHA-256, base32."""
    digest = hashlib.sha256(libipld.encode_dag_cbor(record)).digest()
    raw = bytes([0x01, 0x71, 0x12, 0x20]) + digest
    return "b" + base64.b32encode(raw).decode().lower().rstrip("=")
