"""Microsoft Entra ID through msal's ConfidentialClientApplication (client secret or certificate).

msal builds the authorization request (PKCE S256, state, nonce, the `claims` request for Conditional Access
auth contexts) and redeems the code; it is synchronous, so every call runs in a worker thread. msal no longer
validates id_tokens: `providers.entra_token` does (per-tenant issuer, `tid` allow-list, signature, nonce).

Callbacks use response_mode=query, deliberately: msal recommends form_post, but a form_post callback is a
cross-site POST, on which browsers do not send the SameSite=Lax cookie that binds the callback to the browser
that started the login. The code in the query is single-use, PKCE-bound and redeemed with the client secret.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import anyio.to_thread
import httpx2
import msal
import requests

from providers import bounded_json
from providers.base import (
    CallbackInvalid,
    Clock,
    Identity,
    LoginOptions,
    LoginStart,
    ProviderError,
    TokenRejected,
    UpstreamDenied,
    UpstreamUnavailable,
)
from providers.claims import safe_identity
from providers.discovery import DiscoveryCache
from providers.entra_token import (
    MULTI_TENANT,
    EntraExpectations,
    entra_identity,
    tenant_issuer,
    validate_entra_id_token,
)
from providers.jwks import JWKSCache
from providers.upstream_http import MAX_BODY_BYTES, sanitize

warnings.filterwarnings("ignore", message=r"response_mode='form_post' is recommended", category=UserWarning)

MICROSOFT_LOGIN = "https://login.microsoftonline.com"


@dataclass(frozen=True)
class EntraSettings:
    """An Entra app registration as the bridge uses it; built by the bridge from its configuration.

    `tenant` is a tenant GUID (single-tenant app) or "organizations"/"common" (multi-tenant); `allowed_tenants`
    lists the tenant GUIDs whose users may sign in (for a single-tenant app: that tenant). The credential is
    `client_secret`, or a certificate: `certificate_private_key` (PEM) with `certificate_thumbprint` (SHA-1
    hex) or `public_certificate` (PEM; msal then sends its SHA-256 thumbprint).
    """

    client_id: str
    display_name: str
    tenant: str
    allowed_tenants: tuple[str, ...]
    client_secret: str | None = None
    certificate_private_key: str | None = None
    certificate_thumbprint: str | None = None
    public_certificate: str | None = None
    authority_host: str = MICROSOFT_LOGIN
    scopes: tuple[str, ...] = ("email",)
    request_acrs: tuple[str, ...] = ()
    clock_skew_seconds: int = 60
    timeout_seconds: float = 10.0

    @property
    def authority(self) -> str:
        return f"{self.authority_host.rstrip('/')}/{self.tenant}"

    @property
    def discovery_issuer(self) -> str:
        """The issuer the discovery document names: a literal `{tenantid}` template for multi-tenant apps."""
        tid = "{tenantid}" if self.tenant in MULTI_TENANT else self.tenant
        return tenant_issuer(self.authority_host, tid)

    def credential(self) -> str | dict[str, str]:
        if self.certificate_private_key is None:
            if self.client_secret is None:
                raise ValueError("an Entra app needs a client secret or a certificate")
            return self.client_secret
        credential = {"private_key": self.certificate_private_key}
        if self.certificate_thumbprint:
            credential["thumbprint"] = self.certificate_thumbprint
        if self.public_certificate:
            credential["public_certificate"] = self.public_certificate
        return credential


def acrs_claims_request(contexts: tuple[str, ...]) -> str | None:
    """The OIDC `claims` parameter asking for Conditional Access auth contexts in the id_token, or None."""
    if not contexts:
        return None
    wanted: dict[str, Any] = {"essential": True}
    if len(contexts) == 1:
        wanted["value"] = contexts[0]
    else:
        wanted["values"] = list(contexts)
    return json.dumps({"id_token": {"acrs": wanted}}, separators=(",", ":"))


class _NoTokenCache(msal.TokenCache):  # type: ignore[misc]
    """The bridge only signs users in: it keeps no Entra access or refresh tokens, in memory or anywhere."""

    def add(self, event: Any, now: Any = None) -> None:
        return None


class EntraProvider:
    """Microsoft Entra ID, single- or multi-tenant; users keyed on the tenant + `oid`."""

    def __init__(
        self,
        provider_id: str,
        settings: EntraSettings,
        *,
        http: httpx2.AsyncClient,
        clock: Clock,
        msal_http_client: Any = None,
    ) -> None:
        self._id = provider_id
        self._settings = settings
        self._clock = clock
        self._http = http
        self._msal_http_client = msal_http_client  # None: msal's own requests session
        timeout = settings.timeout_seconds
        url = f"{settings.authority}/v2.0/.well-known/openid-configuration"
        self._discovery = DiscoveryCache(settings.discovery_issuer, http=http, clock=clock, timeout=timeout, url=url)
        self._jwks = JWKSCache(http=http, clock=clock, timeout=timeout)
        self._msal: Any = None
        self._lock = asyncio.Lock()

    @property
    def id(self) -> str:
        return self._id

    @property
    def display_name(self) -> str:
        return self._settings.display_name

    async def start_login(self, callback_url: str, options: LoginOptions) -> LoginStart:
        app = await self._app()
        state = secrets.token_urlsafe(32)
        initiate = partial(
            app.initiate_auth_code_flow,
            scopes=list(self._settings.scopes),
            redirect_uri=callback_url,
            state=state,
            prompt=options.prompt,
            login_hint=options.login_hint,
            claims_challenge=acrs_claims_request(self._settings.request_acrs),
            max_age=options.max_age,
            response_mode="query",
        )
        try:
            flow: dict[str, Any] = await anyio.to_thread.run_sync(initiate)
        except ValueError as exc:
            raise UpstreamUnavailable(f"msal refused to start the login: {sanitize(exc)}") from None
        return LoginStart(url=flow["auth_uri"], state=state, flow_state={"msal_flow": flow})

    async def finish_login(
        self, params: Mapping[str, str], flow_state: Mapping[str, Any], callback_url: str
    ) -> Identity:
        flow = _read_flow(flow_state, callback_url)
        if "error" in params:
            raise UpstreamDenied(self._denied_message(params))
        if not params.get("code"):
            raise CallbackInvalid(f"callback from {self.display_name} has no authorization code")
        app = await self._app()
        redeem = partial(app.acquire_token_by_auth_code_flow, dict(flow), dict(params))
        try:
            result: dict[str, Any] = await anyio.to_thread.run_sync(redeem)
        except ValueError:
            raise CallbackInvalid("the callback's state does not belong to this login") from None
        except RuntimeError as exc:
            raise TokenRejected(_msal_id_token_problem(str(exc))) from None
        except requests.RequestException as exc:
            raise UpstreamUnavailable(
                f"{self.display_name} token endpoint is unreachable ({type(exc).__name__})"
            ) from None
        if "error" in result:
            description = result.get("error_description")
            message = f"token endpoint rejected the code: {sanitize(result['error'], 64)}"
            raise TokenRejected(message + (f" ({sanitize(description)})" if description else ""))
        id_token = result.get("id_token")
        if not isinstance(id_token, str) or not id_token:
            raise TokenRejected("token response has no id_token")
        metadata = await self._discovery.get()
        expect = EntraExpectations(
            authority_host=self._settings.authority_host.rstrip("/"),
            tenant=self._settings.tenant,
            allowed_tenants=self._settings.allowed_tenants,
            client_id=self._settings.client_id,
            nonce=hashlib.sha256(str(flow["nonce"]).encode()).hexdigest(),  # msal sends the nonce's sha256
            now=self._clock.now(),
            clock_skew_seconds=self._settings.clock_skew_seconds,
            max_age=flow.get("max_age"),
        )
        claims = await validate_entra_id_token(id_token, jwks=self._jwks, jwks_uri=metadata.jwks_uri, expect=expect)
        identity = entra_identity(
            self._id,
            claims,
            authority_host=self._settings.authority_host.rstrip("/"),
            requested_acrs=self._settings.request_acrs,
        )
        return safe_identity(identity)

    async def check_online(self) -> list[str]:
        """Readable problems with the tenant's discovery document, JWKS and msal's view of the authority."""
        name = f"provider '{self._id}'"
        try:
            metadata = await self._discovery.refresh()
        except ProviderError as exc:
            return [f"{name}: {await self._discovery_problem() or exc.message}"]
        try:
            keys = await self._jwks.refresh(metadata.jwks_uri)
        except ProviderError as exc:
            return [f"{name}: {exc.message}"]
        problems: list[str] = []
        if not any(key.key_type == "RSA" for key in keys):
            problems.append(f"{name}: JWKS at {metadata.jwks_uri} has no RSA key (Entra signs id_tokens with RS256)")
        try:
            await self._app(fresh=True)
        except ProviderError as exc:
            problems.append(f"{name}: {exc.message}")
        return problems

    async def _app(self, *, fresh: bool = False) -> Any:
        """msal's application, built once: its constructor fetches the authority's discovery document."""
        async with self._lock:
            if self._msal is None or fresh:
                try:
                    self._msal = await anyio.to_thread.run_sync(self._build_app)
                except (ValueError, requests.RequestException) as exc:
                    reason = await self._discovery_problem() or f"{type(exc).__name__}: {sanitize(exc, 160)}"
                    raise UpstreamUnavailable(
                        f"msal cannot use the authority {self._settings.authority}: {reason}"
                    ) from None
            return self._msal

    async def _discovery_problem(self) -> str | None:
        """Entra's own words for why the tenant's discovery document is unusable (e.g. AADSTS90002), if any."""
        url = f"{self._settings.authority}/v2.0/.well-known/openid-configuration"
        try:
            response = await self._http.get(url, timeout=self._settings.timeout_seconds)
        except httpx2.HTTPError as exc:
            return f"discovery document at {url} is unreachable ({type(exc).__name__})"
        if response.status_code == 200:
            return None
        try:
            document = bounded_json.loads(response.content, max_bytes=MAX_BODY_BYTES)
            description = document.get("error_description")
        except (ValueError, AttributeError):  # bounded_json.JSONLimitError too: the reason is just not shown
            description = None
        return f"discovery document at {url} answered HTTP {response.status_code}" + (
            f" ({sanitize(str(description).splitlines()[0])})" if description else ""
        )

    def _build_app(self) -> Any:
        return msal.ConfidentialClientApplication(
            self._settings.client_id,
            client_credential=self._settings.credential(),
            authority=self._settings.authority,
            instance_discovery=False,  # the cloud host is configured; no extra call to Microsoft to vouch for it
            http_client=self._msal_http_client,
            timeout=self._settings.timeout_seconds,
            token_cache=_NoTokenCache(),
        )

    def _denied_message(self, params: Mapping[str, str]) -> str:
        message = f"{self.display_name} did not complete the login: {sanitize(params['error'], 64)}"
        description = params.get("error_description")
        if description:
            message += f" ({sanitize(description.splitlines()[0] if description.strip() else description)})"
        return message


def _read_flow(flow_state: Mapping[str, Any], callback_url: str) -> dict[str, Any]:
    flow = flow_state.get("msal_flow")
    if not isinstance(flow, dict) or not isinstance(flow.get("nonce"), str) or not isinstance(flow.get("state"), str):
        raise CallbackInvalid("the stored login state is incomplete; start the login again")
    if flow.get("redirect_uri") != callback_url:
        raise CallbackInvalid("the callback URL does not match the redirect_uri of this login")
    max_age = flow.get("max_age")
    if max_age is not None and (isinstance(max_age, bool) or not isinstance(max_age, int)):
        raise CallbackInvalid("the stored login state is incomplete; start the login again")
    return flow


def _msal_id_token_problem(text: str) -> str:
    """msal's own id_token complaints, reworded: its messages embed the whole token, which is never shown."""
    if "nonce" in text:
        return "id_token nonce does not match the login request"
    if "max_age" in text or "auth_time" in text:
        return (
            "id_token 'auth_time' is missing or older than the requested max_age "
            "(enable the auth_time optional claim in the app registration)"
        )
    return "id_token could not be read"
