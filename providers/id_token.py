"""Validation of upstream id_tokens (OIDC Core §3.1.3.7) with joserfc: algorithm, signature, then claims."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import Key

from providers import bounded_json
from providers.base import TokenRejected
from providers.jwks import JWKSCache
from providers.upstream_http import sanitize

MAX_SUBJECT_LENGTH = 255


@dataclass(frozen=True)
class Expectations:
    """What a valid id_token must say for this login."""

    issuer: str
    client_id: str
    nonce: str
    algorithms: Collection[str]
    now: float
    clock_skew_seconds: int
    max_age: int | None = None
    also_issuers: tuple[str, ...] = ()  # other spellings of the same issuer (Google's legacy "accounts.google.com")


@dataclass(frozen=True)
class TokenHeader:
    alg: str
    kid: str | None


def read_header(token: str, algorithms: Collection[str]) -> TokenHeader:
    """The unverified header, `alg` checked against the allow-list; `none` and HS* are always refused."""
    _check_depth(token)
    try:
        header = jws.extract_compact(token.encode("ascii")).headers()
    except (JoseError, ValueError, UnicodeError) as exc:
        raise TokenRejected("id_token is not a well-formed signed JWT") from exc
    alg, kid = header.get("alg"), header.get("kid")
    if not isinstance(alg, str):
        raise TokenRejected("id_token header has no 'alg'")
    if alg.lower() == "none":
        raise TokenRejected("id_token algorithm 'none' is refused: id_tokens must be signed")
    if alg.upper().startswith("HS"):
        raise TokenRejected(
            f"id_token algorithm '{sanitize(alg, 20)}' is refused: symmetric algorithms are never accepted"
        )
    if alg not in algorithms:
        raise TokenRejected(
            f"id_token algorithm '{sanitize(alg, 20)}' is not allowed (allowed: {', '.join(algorithms)})"
        )
    if kid is not None and not isinstance(kid, str):
        raise TokenRejected("id_token header 'kid' is not a string")
    return TokenHeader(alg=alg, kid=kid)


def _check_depth(token: str) -> None:
    """Header and payload bounded in nesting before joserfc parses them (its parser would overflow its stack)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenRejected("id_token is not a well-formed signed JWT")
    for name, part in zip(("header", "payload"), parts[:2], strict=False):
        try:
            decoded = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode("utf-8", "replace")
        except (ValueError, binascii.Error):
            raise TokenRejected("id_token is not a well-formed signed JWT") from None
        if bounded_json.too_deep(decoded):
            raise TokenRejected(f"id_token {name} is nested more than {bounded_json.MAX_DEPTH} levels deep")


def verify_signature(token: str, key: Key, alg: str) -> dict[str, Any]:
    """The claims of `token` once its signature checks out with `key` under exactly `alg`."""
    try:
        decoded = jwt.decode(token, key, algorithms=[alg])
    except BadSignatureError:
        raise TokenRejected("id_token signature is invalid") from None
    except (JoseError, ValueError) as exc:
        raise TokenRejected(f"id_token could not be verified ({type(exc).__name__})") from None
    return dict(decoded.claims)


async def validate_id_token(token: str, *, jwks: JWKSCache, jwks_uri: str, expect: Expectations) -> dict[str, Any]:
    """Header, key (by `kid`), signature, then claims; returns the claims or raises `TokenRejected`."""
    header = read_header(token, expect.algorithms)
    key = await jwks.key_for(jwks_uri, header.kid, header.alg)
    claims = verify_signature(token, key, header.alg)
    check_claims(claims, expect)
    return claims


def check_claims(claims: Mapping[str, Any], expect: Expectations) -> None:
    """Raises `TokenRejected` naming the first claim that fails; the signature must already be checked."""
    _check_issuer(claims, expect.issuer, expect.also_issuers)
    _check_audience(claims, expect.client_id)
    _check_times(claims, expect)
    _check_nonce(claims, expect.nonce)
    _check_subject(claims)
    _check_auth_time(claims, expect)


def _check_issuer(claims: Mapping[str, Any], issuer: str, also: tuple[str, ...] = ()) -> None:
    iss = claims.get("iss")
    if iss is None:
        raise TokenRejected("id_token has no 'iss' claim")
    if iss != issuer and iss not in also:
        raise TokenRejected(f"id_token issuer '{sanitize(iss)}' does not match '{issuer}'")


def _check_audience(claims: Mapping[str, Any], client_id: str) -> None:
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud
    if not isinstance(audiences, list) or not audiences or not all(isinstance(a, str) for a in audiences):
        raise TokenRejected("id_token 'aud' is missing or not a string or list of strings")
    if client_id not in audiences:
        raise TokenRejected(
            f"id_token audience {sanitize(', '.join(repr(a) for a in audiences))} "
            f"does not include the client id '{client_id}'"
        )
    azp = claims.get("azp")
    if azp is None and len(audiences) > 1:
        raise TokenRejected("id_token has several audiences but no 'azp' claim")
    if azp is not None and azp != client_id:
        raise TokenRejected(f"id_token authorized party (azp) '{sanitize(azp)}' is not the client id '{client_id}'")
    # §3.1.3.7 (3): also reject audiences the bridge does not trust; it trusts its own client id only, so a
    # token minted for several parties (and replayable at the others) is never accepted, azp or not.
    untrusted = [a for a in audiences if a != client_id]
    if untrusted:
        raise TokenRejected(
            f"id_token audience {sanitize(', '.join(repr(a) for a in untrusted))} is not trusted: "
            f"the only audience accepted is the client id '{client_id}'"
        )


def _number(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TokenRejected(f"id_token '{name}' is not a number")
    return float(value)


def _check_times(claims: Mapping[str, Any], expect: Expectations) -> None:
    skew = expect.clock_skew_seconds
    exp = _number(claims, "exp")
    if exp is None:
        raise TokenRejected("id_token has no 'exp' claim")
    if expect.now > exp + skew:
        raise TokenRejected("id_token has expired")
    iat = _number(claims, "iat")
    if iat is None:
        raise TokenRejected("id_token has no 'iat' claim")
    if iat > expect.now + skew:
        raise TokenRejected("id_token was issued in the future ('iat' is ahead of the clock)")
    nbf = _number(claims, "nbf")
    if nbf is not None and nbf > expect.now + skew:
        raise TokenRejected("id_token is not valid yet ('nbf' is ahead of the clock)")


def _check_nonce(claims: Mapping[str, Any], nonce: str) -> None:
    got = claims.get("nonce")
    if got is None:
        raise TokenRejected("id_token has no 'nonce' claim")
    if not isinstance(got, str) or not hmac.compare_digest(got.encode(), nonce.encode()):
        raise TokenRejected("id_token nonce does not match the login request")


def _check_subject(claims: Mapping[str, Any]) -> None:
    sub = claims.get("sub")
    if sub is None:
        raise TokenRejected("id_token has no 'sub' claim")
    if not isinstance(sub, str) or not sub or len(sub) > MAX_SUBJECT_LENGTH:
        raise TokenRejected(f"id_token 'sub' must be a non-empty string of at most {MAX_SUBJECT_LENGTH} characters")


def _check_auth_time(claims: Mapping[str, Any], expect: Expectations) -> None:
    auth_time = _number(claims, "auth_time")
    if auth_time is None:
        if expect.max_age is not None:
            raise TokenRejected("id_token has no 'auth_time' although max_age was requested")
        return
    if auth_time > expect.now + expect.clock_skew_seconds:
        raise TokenRejected("id_token 'auth_time' is in the future")
    if expect.max_age is not None and expect.now - auth_time > expect.max_age + expect.clock_skew_seconds:
        raise TokenRejected(f"id_token 'auth_time' is older than the requested max_age of {expect.max_age} seconds")
