"""HTTP calls to an upstream provider (JSON documents, code redemption) failing with readable errors only."""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx2

from providers import bounded_json
from providers.base import TokenRejected, UpstreamUnavailable

MAX_BODY_BYTES = 1024 * 1024
_UNSAFE = re.compile(r"[^\x20-\x7e]+")


def sanitize(text: object, limit: int = 200) -> str:
    """Upstream-controlled text made safe to show: printable ASCII, one line, at most `limit` characters."""
    cleaned = _UNSAFE.sub(" ", str(text)).strip()
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 3] + "..."


async def fetch_json(http: httpx2.AsyncClient, url: str, *, what: str, timeout: float) -> dict[str, Any]:
    """GET `url` and return its JSON object; any failure is `UpstreamUnavailable` naming `what` and `url`."""
    try:
        status, content = await _bounded_send(http, "GET", url, timeout=timeout, headers={"Accept": "application/json"})
    except (httpx2.HTTPError, httpx2.InvalidURL) as exc:
        raise UpstreamUnavailable(f"{what} at {url} is unreachable ({type(exc).__name__})") from None
    if status != 200:
        raise UpstreamUnavailable(f"{what} at {url} answered HTTP {status}, expected 200")
    document, problem = _json_object(content)
    if document is None:
        raise UpstreamUnavailable(f"{what} at {url} did not answer with a JSON object{problem}")
    return document


async def redeem_code(
    http: httpx2.AsyncClient,
    token_endpoint: str,
    form: Mapping[str, str],
    *,
    client_id: str,
    client_secret: str | None,
    timeout: float,
) -> dict[str, Any]:
    """POST an authorization-code grant; client_secret_basic if a secret is given, else a public client.

    Raises `TokenRejected` when the endpoint refuses the grant (an OAuth error answer), `UpstreamUnavailable`
    when it cannot be reached or answers garbage. The secret never appears in a message.
    """
    body = dict(form)
    headers = {"Accept": "application/json"}
    if client_secret is None:
        body["client_id"] = client_id
    else:
        headers["Authorization"] = basic_auth_header(client_id, client_secret)
    try:
        status, content = await _bounded_send(
            http, "POST", token_endpoint, data=body, headers=headers, timeout=timeout
        )
    except (httpx2.HTTPError, httpx2.InvalidURL) as exc:
        raise UpstreamUnavailable(f"token endpoint {token_endpoint} is unreachable ({type(exc).__name__})") from None
    document, problem = _json_object(content)
    if status >= 500:
        raise UpstreamUnavailable(f"token endpoint {token_endpoint} answered HTTP {status}")
    if document is None:
        raise UpstreamUnavailable(
            f"token endpoint {token_endpoint} answered HTTP {status} without a JSON object{problem}"
        )
    if status != 200 or "error" in document:
        raise TokenRejected(_hide(_oauth_error("token endpoint rejected the code", document), client_secret))
    return document


def basic_auth_header(client_id: str, client_secret: str) -> str:
    """RFC 6749 §2.3.1: both parts form-urlencoded, then `Basic base64(id:secret)`."""
    pair = f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}"
    return "Basic " + base64.b64encode(pair.encode()).decode("ascii")


def _oauth_error(prefix: str, document: Mapping[str, Any]) -> str:
    code = sanitize(document.get("error", "unknown_error"), 64)
    description = document.get("error_description")
    if description:
        return f"{prefix}: {code} ({sanitize(description)})"
    return f"{prefix}: {code}"


def _hide(message: str, secret: str | None) -> str:
    if secret and secret in message:
        return message.replace(secret, "***")
    return message


async def _bounded_send(http: httpx2.AsyncClient, method: str, url: str, **options: Any) -> tuple[int, bytes | None]:
    """(status, body) with the body read no further than MAX_BODY_BYTES (None beyond: never held in memory)."""
    response = await http.send(http.build_request(method, url, **options), stream=True)
    try:
        received = bytearray()
        async for chunk in response.aiter_bytes():
            received += chunk
            if len(received) > MAX_BODY_BYTES:
                return response.status_code, None
        return response.status_code, bytes(received)
    finally:
        await response.aclose()


def _json_object(content: bytes | None) -> tuple[dict[str, Any] | None, str]:
    """The answer as a JSON object, or None and why not (said after the caller's "no JSON object")."""
    if content is None:
        return None, f": the answer is larger than {MAX_BODY_BYTES} bytes"
    try:
        document = bounded_json.loads(content, max_bytes=MAX_BODY_BYTES, what="the answer")
    except bounded_json.JSONLimitError as exc:
        return None, f": {exc.message}"
    except ValueError:
        return None, ""
    return (document, "") if isinstance(document, dict) else (None, "")
