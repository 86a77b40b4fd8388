"""The admin JSON API's plumbing: bearer-token authentication, authorization, JSON bodies and JSON errors.

Every refusal is a 4xx JSON body `{"error": code, "message": readable text}` and an `admin.rejected` audit event;
nothing is changed then. Handlers raise APIError; `api` turns it into the response.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from idp_bridge.admin.api_tokens import authenticate
from idp_bridge.bridge import Bridge
from idp_bridge.store.records.admin import APIToken
from policies.admin_authorization import Action, Principal, decide_admin
from policies.decisions import Deny
from providers import bounded_json

M = TypeVar("M", bound=BaseModel)
MAX_BODY = 256 * 1024
_NO_STORE = {"cache-control": "no-store"}


class APIError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class Caller:
    """Who called: an API token (the only credential the JSON API accepts)."""

    principal: Principal
    actor: str
    token: APIToken


def json_response(data: object, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers=_NO_STORE)


def error_response(status: int, code: str, message: str) -> JSONResponse:
    headers = dict(_NO_STORE)
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="idp-bridge-admin"'
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


def bridge_of(request: Request) -> Bridge:
    bridge: Bridge = request.app.state.bridge
    return bridge


async def caller(request: Request, action: Action, *, target_role: str | None = None) -> Caller:
    """Authenticate the bearer token and authorize `action`; raises APIError 401/403."""
    bridge = bridge_of(request)
    now = bridge.clock.now()
    header = request.headers.get("authorization", "")
    scheme, _, bearer = header.partition(" ")
    if scheme.lower() != "bearer" or not bearer.strip():
        raise APIError(401, "unauthorized", "Send an admin API token: Authorization: Bearer ibt_...")
    token = await authenticate(bridge.store, bearer.strip(), now)
    if token is None:
        raise APIError(401, "invalid_token", "The API token is unknown, expired or revoked.")
    principal = Principal(kind="token", scopes=frozenset(token.scopes))
    decision = decide_admin(principal, action, now, target_role=target_role)
    if isinstance(decision, Deny):
        raise APIError(403, decision.code, decision.reason)
    return Caller(principal, f"token:{token.id}", token)


async def body(request: Request, model: type[M]) -> M:
    """The JSON body as `model`; raises APIError 400/413/422 with a message naming the field."""
    raw = await _bounded_body(request)
    try:
        data = bounded_json.loads(raw or b"null", max_bytes=MAX_BODY, what="The body")
    except bounded_json.JSONLimitError as exc:
        raise APIError(413 if exc.too_large else 400, "too_large" if exc.too_large else "invalid_json",
                       f"{exc.message}.") from None  # fmt: skip
    except ValueError:
        raise APIError(400, "invalid_json", "The body is not valid JSON.") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors(include_url=False)
        ]
        raise APIError(422, "invalid_request", "; ".join(problems[:10])) from None


async def _bounded_body(request: Request) -> bytes:
    """The body, read no further than MAX_BODY bytes, whether or not a Content-Length announces it."""
    too_large = APIError(413, "too_large", f"The body is larger than {MAX_BODY} bytes.")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise too_large
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > MAX_BODY:
            raise too_large
    return bytes(received)


def query_int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise APIError(400, "invalid_parameter", f"{name}: must be an integer (got {raw[:40]!r})") from None
    if not low <= value <= high:
        raise APIError(400, "invalid_parameter", f"{name}: must be between {low} and {high} (got {value})")
    return value


def query_float(request: Request, name: str) -> float | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        message = f"{name}: must be a POSIX time in seconds (got {raw[:40]!r})"
        raise APIError(400, "invalid_parameter", message) from None
    if not 0 <= value < 1e11:
        raise APIError(400, "invalid_parameter", f"{name}: out of range (got {raw[:40]!r})")
    return value


def query_text(request: Request, name: str, max_length: int = 200) -> str | None:
    raw = request.query_params.get(name)
    if raw is not None and len(raw) > max_length:
        raise APIError(400, "invalid_parameter", f"{name}: at most {max_length} characters (got {len(raw)})")
    return raw or None


Handler = Callable[[Request], Awaitable[Response]]


def api(handler: Handler) -> Handler:
    """Turn APIError into its JSON response, auditing the refusal."""

    @functools.wraps(handler)
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except APIError as exc:
            await bridge_of(request).auditor.record(
                "admin.rejected", "denied" if exc.status in (401, 403) else "failure", request=request,
                path=request.url.path[:200], method=request.method, reason=exc.code, message=exc.message[:300],
            )  # fmt: skip
            return error_response(exc.status, exc.code, exc.message)

    return wrapped
