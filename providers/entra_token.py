"""Entra ID id_tokens: the per-tenant issuer rule, the `tid` allow-list, and the claims that become an Identity.

msal (>= 1.38) does not validate id_tokens, so this module does, with the shared joserfc machinery:
signature (key from the tenant's JWKS, restricted by the key's own `issuer` property when it has one), then
`tid` (a GUID, allowed), `iss` (exactly the token's own tenant issuer, v2.0 or v1.0 form), `aud`, times, nonce.
Users are keyed on the tenant + `oid`; `email`, `upn` and `preferred_username` are mutable and never a key.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from providers.base import AccountNotAllowed, Identity, TokenRejected
from providers.claims import normalise_amr, strings, text, whole_seconds
from providers.id_token import Expectations, check_claims, read_header, verify_signature
from providers.jwks import JWKSCache
from providers.upstream_http import sanitize

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MULTI_TENANT = ("organizations", "common")
V1_ISSUER = "https://sts.windows.net/{tid}/"
# Entra's v1 amr values (tokens-overview.md): ngcmfa means mfa; rsa, fed, wiaormfa ("Windows OR MFA") and none
# are not RFC 8176 and are dropped, so that none of them can ever be read as MFA.
ENTRA_AMR_SYNONYMS = {"ngcmfa": "mfa"}


def tenant_issuer(authority_host: str, tid: str) -> str:
    """The v2.0 issuer of tenant `tid`, which is also the user-key issuer of every Entra login."""
    return f"{authority_host.rstrip('/')}/{tid}/v2.0"


@dataclass(frozen=True)
class EntraExpectations:
    """What a valid Entra id_token must say for this login."""

    authority_host: str
    tenant: str
    allowed_tenants: Collection[str]
    client_id: str
    nonce: str
    now: float
    clock_skew_seconds: int
    max_age: int | None = None
    algorithms: tuple[str, ...] = ("RS256",)


def expected_issuer(claims: Mapping[str, Any], expect: EntraExpectations) -> tuple[str, str]:
    """(tid, the exact `iss` this token must carry): tid checked as a GUID, allowed, and of this app's tenant."""
    tid = claims.get("tid")
    if not isinstance(tid, str) or not GUID.fullmatch(tid):
        raise TokenRejected(f"id_token 'tid' is not a tenant GUID (got '{sanitize(tid, 60)}')")
    if expect.tenant not in MULTI_TENANT and tid != expect.tenant:
        raise TokenRejected(f"id_token is from tenant {tid}, but this single-tenant app belongs to {expect.tenant}")
    if tid not in expect.allowed_tenants:
        raise AccountNotAllowed(f"accounts of Microsoft Entra tenant {tid} may not sign in here")
    if claims.get("ver") == "1.0":
        return tid, V1_ISSUER.format(tid=tid)
    return tid, tenant_issuer(expect.authority_host, tid)


async def validate_entra_id_token(
    token: str, *, jwks: JWKSCache, jwks_uri: str, expect: EntraExpectations
) -> dict[str, Any]:
    """The claims of a valid id_token for this login, or `TokenRejected` naming what is wrong."""
    header = read_header(token, expect.algorithms)
    key = await jwks.key_for(jwks_uri, header.kid, header.alg)
    claims = verify_signature(token, key, header.alg)
    tid, issuer = expected_issuer(claims, expect)
    key_issuer = key.get("issuer")
    if isinstance(key_issuer, str) and key_issuer.replace("{tenantid}", tid) != issuer and claims.get("ver") != "1.0":
        raise TokenRejected(f"id_token was signed by a key that may only sign for '{sanitize(key_issuer)}'")
    check_claims(
        claims,
        Expectations(
            issuer=issuer,
            client_id=expect.client_id,
            nonce=expect.nonce,
            algorithms=expect.algorithms,
            now=expect.now,
            clock_skew_seconds=expect.clock_skew_seconds,
            max_age=expect.max_age,
        ),
    )
    oid = claims.get("oid")
    if not isinstance(oid, str) or not GUID.fullmatch(oid):
        raise TokenRejected(
            "id_token has no 'oid' object id; the bridge keys Entra users on tenant + oid "
            "(the 'profile' scope provides it)"
        )
    return claims


def has_group_overage(claims: Mapping[str, Any]) -> bool:
    """Entra drops `groups` above its limit (200 in a JWT) and points at Microsoft Graph instead."""
    names = claims.get("_claim_names")
    return (isinstance(names, Mapping) and "groups" in names) or claims.get("hasgroups") is True


def entra_identity(
    provider_id: str, claims: dict[str, Any], *, authority_host: str, requested_acrs: tuple[str, ...]
) -> Identity:
    """The Identity of validated claims; `issuer` is always the v2.0 tenant issuer so the key is tid + oid."""
    tid, oid = claims["tid"], claims["oid"]
    overage = has_group_overage(claims)
    return Identity(
        provider_id=provider_id,
        issuer=tenant_issuer(authority_host, tid),
        subject=oid,
        email=text(claims, "email"),
        email_verified=False,  # Entra does not vouch for `email` (it is an unverified, editable attribute)
        name=text(claims, "name"),
        groups=() if overage else strings(claims.get("groups")),
        amr=normalise_amr(strings(claims.get("amr")), ENTRA_AMR_SYNONYMS),
        acr=text(claims, "acr"),
        auth_time=whole_seconds(claims, "auth_time"),
        tenant=tid,
        raw_claims=claims,
        kind="entra",
        requested_acrs=requested_acrs,
        acrs=strings(claims.get("acrs")),
        roles=strings(claims.get("roles")),
        groups_overage=overage,
    )
