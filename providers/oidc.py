"""A generic upstream OpenID Connect provider: authorization code flow with PKCE S256, nonce and RFC 9207."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx2
from authlib.oauth2.rfc7636 import create_s256_code_challenge  # type: ignore[import-untyped]

from providers.base import (
    CallbackInvalid,
    Clock,
    Identity,
    LoginOptions,
    LoginStart,
    OIDCSettings,
    ProviderError,
    TokenRejected,
    UpstreamDenied,
)
from providers.claims import safe_identity
from providers.discovery import DiscoveryCache, ProviderMetadata
from providers.id_token import Expectations, validate_id_token
from providers.jwks import JWKSCache, key_type_for
from providers.upstream_http import redeem_code, sanitize


class OIDCProvider:
    """One upstream OpenID Provider, found through discovery, whose id_tokens the bridge validates itself."""

    def __init__(self, provider_id: str, config: OIDCSettings, *, http: httpx2.AsyncClient, clock: Clock) -> None:
        self._id = provider_id
        self._config = config
        self._http = http
        self._clock = clock
        self._discovery = DiscoveryCache(config.issuer, http=http, clock=clock, timeout=config.timeout_seconds)
        self._jwks = JWKSCache(http=http, clock=clock, timeout=config.timeout_seconds)

    @property
    def id(self) -> str:
        return self._id

    @property
    def display_name(self) -> str:
        return self._config.display_name

    async def start_login(self, callback_url: str, options: LoginOptions) -> LoginStart:
        metadata = await self._discovery.get()
        state = secrets.token_urlsafe(32)
        nonce = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(48)
        params = {
            "response_type": "code",
            "client_id": self._config.client_id,
            "redirect_uri": callback_url,
            "scope": " ".join(self._config.scopes),
            "state": state,
            "nonce": nonce,
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        }
        if options.login_hint is not None:
            params["login_hint"] = options.login_hint
        if options.prompt is not None:
            params["prompt"] = options.prompt
        if options.max_age is not None:
            params["max_age"] = str(options.max_age)
        if self._config.request_acr_values:
            params["acr_values"] = " ".join(self._config.request_acr_values)
        params.update(self._extra_authorization_params())
        flow_state = {
            "code_verifier": verifier,
            "nonce": nonce,
            "redirect_uri": callback_url,
            "max_age": options.max_age,
        }
        return LoginStart(url=_with_query(metadata.authorization_endpoint, params), state=state, flow_state=flow_state)

    async def finish_login(
        self, params: Mapping[str, str], flow_state: Mapping[str, Any], callback_url: str
    ) -> Identity:
        issuer = self._config.issuer
        if "iss" in params and params["iss"] != issuer:
            raise CallbackInvalid(
                f"callback 'iss' parameter '{sanitize(params['iss'])}' does not match the issuer '{issuer}'"
            )
        if "error" in params:
            raise UpstreamDenied(self._denied_message(params))
        code = params.get("code")
        if not code:
            raise CallbackInvalid(f"callback from {self.display_name} has no authorization code")
        verifier, nonce, max_age = _read_flow_state(flow_state, callback_url)
        metadata = await self._discovery.get()
        if metadata.iss_parameter_supported and "iss" not in params:
            raise CallbackInvalid(
                f"callback has no 'iss' parameter although {issuer} advertises "
                "authorization_response_iss_parameter_supported (RFC 9207)"
            )
        secret = self._config.client_secret
        tokens = await redeem_code(
            self._http,
            metadata.token_endpoint,
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": callback_url,
                "code_verifier": verifier,
            },
            client_id=self._config.client_id,
            client_secret=secret,
            timeout=self._config.timeout_seconds,
        )
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str) or not id_token:
            raise TokenRejected("token response has no id_token")
        expect = self._expectations(nonce, max_age)
        claims = await validate_id_token(id_token, jwks=self._jwks, jwks_uri=metadata.jwks_uri, expect=expect)
        return safe_identity(self._identity(claims))

    # -- hooks for provider kinds built on this one (Google, Okta) --------------------------------------------
    def _extra_authorization_params(self) -> dict[str, str]:
        return {}

    def _expectations(self, nonce: str, max_age: int | None) -> Expectations:
        return Expectations(
            issuer=self._config.issuer,
            client_id=self._config.client_id,
            nonce=nonce,
            algorithms=self._config.id_token_algorithms,
            now=self._clock.now(),
            clock_skew_seconds=self._config.clock_skew_seconds,
            max_age=max_age,
        )

    async def check_online(self) -> list[str]:
        """Readable problems with the upstream (discovery, JWKS, algorithms); empty when all is well."""
        problems: list[str] = []
        try:
            metadata: ProviderMetadata = await self._discovery.refresh()
        except ProviderError as exc:
            return [f"provider '{self._id}': {exc.message}"]
        allowed = self._config.id_token_algorithms
        if metadata.signing_algorithms and not set(metadata.signing_algorithms) & set(allowed):
            problems.append(
                f"provider '{self._id}': upstream signs id_tokens with "
                f"{', '.join(metadata.signing_algorithms)}, "
                f"none of which is in id_token_algorithms ({', '.join(allowed)})"
            )
        try:
            keys = await self._jwks.refresh(metadata.jwks_uri)
        except ProviderError as exc:
            problems.append(f"provider '{self._id}': {exc.message}")
            return problems
        usable_types = {key_type_for(alg) for alg in allowed}
        if not any(key.key_type in usable_types for key in keys):
            problems.append(
                f"provider '{self._id}': JWKS at {metadata.jwks_uri} has no key usable with {', '.join(allowed)}"
            )
        return problems

    def _denied_message(self, params: Mapping[str, str]) -> str:
        message = f"{self.display_name} did not complete the login: {sanitize(params['error'], 64)}"
        description = params.get("error_description")
        if description:
            message += f" ({sanitize(description)})"
        return message

    def _identity(self, claims: dict[str, Any]) -> Identity:
        email, name, acr = claims.get("email"), claims.get("name"), claims.get("acr")
        auth_time = claims.get("auth_time")
        if isinstance(auth_time, bool) or not isinstance(auth_time, int | float):
            auth_time = None
        return Identity(
            provider_id=self._id,
            issuer=claims["iss"],
            subject=claims["sub"],
            email=email if isinstance(email, str) else None,
            email_verified=claims.get("email_verified") is True,
            name=name if isinstance(name, str) else None,
            groups=_strings(claims.get("groups")),
            amr=_strings(claims.get("amr")),
            acr=acr if isinstance(acr, str) else None,
            auth_time=None if auth_time is None else int(auth_time),
            raw_claims=claims,
            requested_acr_values=self._config.request_acr_values,
        )


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    return ()


def _read_flow_state(flow_state: Mapping[str, Any], callback_url: str) -> tuple[str, str, int | None]:
    verifier, nonce = flow_state.get("code_verifier"), flow_state.get("nonce")
    redirect_uri, max_age = flow_state.get("redirect_uri"), flow_state.get("max_age")
    if not isinstance(verifier, str) or not isinstance(nonce, str) or not isinstance(redirect_uri, str):
        raise CallbackInvalid("the stored login state is incomplete; start the login again")
    if max_age is not None and (isinstance(max_age, bool) or not isinstance(max_age, int)):
        raise CallbackInvalid("the stored login state is incomplete; start the login again")
    if redirect_uri != callback_url:
        raise CallbackInvalid("the callback URL does not match the redirect_uri of this login")
    return verifier, nonce, max_age


def _with_query(url: str, params: Mapping[str, str]) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))
