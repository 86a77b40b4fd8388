"""The demo portal's side of OIDC Back-Channel Logout: validating logout tokens and remembering ended sessions.

What any portal must check (§2.6): the signature against the bridge's JWKS, `typ: logout+jwt`, exact `iss`, its
own client_id in `aud`, `iat`/`exp`, the back-channel `events` member, `sid` or `sub`, NO `nonce`, and a `jti`
never seen before (replay).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
MAX_AGE_SECONDS = 300


class LogoutTokenError(ValueError):
    """The logout token is not acceptable; the message says why (no secrets)."""


class LogoutRegistry:
    """Sessions (by `sid`) and users (by `sub`, for tokens without `sid`) ended by the bridge, and seen `jti`s."""

    def __init__(self, *, issuer: str, client_id: str, clock: Callable[[], float] = time.time) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self._clock = clock
        self._jtis: dict[str, float] = {}
        self.ended_sids: set[str] = set()
        self.ended_subs: dict[str, float] = {}

    def validate(self, token: str, jwks: Mapping[str, Any]) -> dict[str, Any]:
        now = self._clock()
        try:
            decoded = jwt.decode(token, KeySet.import_key_set(jwks), algorithms=["RS256", "ES256"])  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise LogoutTokenError(f"bad signature or format ({type(exc).__name__})") from exc
        claims = dict(decoded.claims)
        aud = claims.get("aud")
        problems = [
            (decoded.header.get("typ") != "logout+jwt", "typ is not logout+jwt"),
            (claims.get("iss") != self.issuer, "wrong issuer"),
            (not (aud == self.client_id or (isinstance(aud, list) and self.client_id in aud)), "wrong audience"),
            (not isinstance(claims.get("iat"), int) or abs(now - claims["iat"]) > MAX_AGE_SECONDS, "stale iat"),
            (not isinstance(claims.get("exp"), int) or claims["exp"] <= now, "expired"),
            (not isinstance(claims.get("events"), dict) or BACKCHANNEL_EVENT not in claims["events"], "no event"),
            ("nonce" in claims, "a logout token must not carry a nonce"),
            (not (claims.get("sid") or claims.get("sub")), "neither sid nor sub"),
            (not isinstance(claims.get("jti"), str) or not claims["jti"], "no jti"),
        ]
        for failed, why in problems:
            if failed:
                raise LogoutTokenError(why)
        self._forget_old(now)
        if claims["jti"] in self._jtis:
            raise LogoutTokenError("replayed jti")
        self._jtis[claims["jti"]] = float(claims["exp"])
        return claims

    def record(self, claims: Mapping[str, Any]) -> None:
        if claims.get("sid"):
            self.ended_sids.add(str(claims["sid"]))
        else:
            self.ended_subs[str(claims["sub"])] = self._clock()

    def ended(self, sid: object, sub: object, signed_in_at: float) -> bool:
        """Whether a local session (of the bridge session `sid`, user `sub`) was ended by the bridge."""
        if isinstance(sid, str) and sid in self.ended_sids:
            return True
        ended_at = self.ended_subs.get(sub) if isinstance(sub, str) else None
        return ended_at is not None and ended_at >= signed_in_at

    def _forget_old(self, now: float) -> None:
        for jti in [j for j, exp in self._jtis.items() if exp <= now]:
            del self._jtis[jti]
