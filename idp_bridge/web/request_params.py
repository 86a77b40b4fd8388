"""Reading query and form parameters defensively: size limits, no duplicates, no control characters."""

from __future__ import annotations

import re
from collections.abc import Iterable

from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

MAX_PARAMETERS = 40
MAX_BODY_BYTES = 64 * 1024
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# C0 control characters except tab, and DEL; one regex scan instead of a Python loop over every character.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tab, CR and LF allowed


class ParameterError(Exception):
    """Malformed or oversized input; `message` names the parameter and is safe to show."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _collect(
    items: Iterable[tuple[str, object]],
    max_length: int,
    max_parameters: int = MAX_PARAMETERS,
    multiline: frozenset[str] = frozenset(),
) -> dict[str, str]:
    params: dict[str, str] = {}
    for count, (key, value) in enumerate(items, start=1):
        if count > max_parameters:
            raise ParameterError(f"too many parameters (more than {max_parameters})")
        if not isinstance(value, str):
            raise ParameterError(f"parameter '{_shown(key)}' must be text, not a file")
        if len(key) > 64:
            raise ParameterError("a parameter name is too long")
        if key in params:
            # RFC 6749 §3.1: request and response parameters MUST NOT be included more than once.
            raise ParameterError(f"parameter '{_shown(key)}' is given more than once")
        if len(value) > max_length:
            raise ParameterError(f"parameter '{_shown(key)}' is too long (more than {max_length} characters)")
        if (_CONTROL_MULTILINE if key in multiline else _CONTROL).search(value):  # line breaks only in text areas
            raise ParameterError(f"parameter '{_shown(key)}' contains control characters")
        params[key] = value
    return params


def _shown(name: str) -> str:
    return "".join(ch if ch.isprintable() else "?" for ch in name[:64])


def query_params(request: Request, max_length: int) -> dict[str, str]:
    return _collect(request.query_params.multi_items(), max_length)


async def form_params(
    request: Request, max_length: int, *, max_parameters: int = MAX_PARAMETERS, multiline: frozenset[str] = frozenset()
) -> dict[str, str]:
    """Form fields of a POST. Bodies over MAX_BODY_BYTES are refused before they are read. Fields named in
    `multiline` (text areas) may contain line breaks; no other field may."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in _FORM_TYPES:
        raise ParameterError("the request body must be application/x-www-form-urlencoded", status=415)
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isascii() or not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        raise ParameterError(f"the request body is too large (more than {MAX_BODY_BYTES} bytes)", status=413)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise ParameterError(f"the request body is too large (more than {MAX_BODY_BYTES} bytes)", status=413)
    # Re-expose the bytes we already consumed so Starlette's form parser can read them.
    request._body = body
    try:
        async with request.form(max_files=0, max_fields=max_parameters) as form:
            return _collect(form.multi_items(), max_length, max_parameters, multiline)
    except (HTTPException, MultiPartException) as exc:
        # Starlette's parser refusing the body (too many fields, a file, no multipart boundary): in an app it
        # raises HTTPException, which would bypass the endpoint's own error answer and its audit event.
        detail = exc.detail if isinstance(exc, HTTPException) else exc.message
        raise ParameterError(f"the request body is not an acceptable form: {detail}") from exc


async def all_params(request: Request, max_length: int) -> dict[str, str]:
    """GET: the query. POST: the form (the query must then be empty of the same names)."""
    query = query_params(request, max_length)
    if request.method != "POST":
        return query
    form = await form_params(request, max_length)
    for key in query:
        if key in form:
            raise ParameterError(f"parameter '{_shown(key)}' is given more than once")
    return {**query, **form}
