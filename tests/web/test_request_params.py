"""idp_bridge/web/request_params.py on raw ASGI requests: headers no HTTP client would send still get a clean error."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.requests import Request
from starlette.types import Message

from idp_bridge.web.request_params import ParameterError, form_params

FORM = b"application/x-www-form-urlencoded"


def _request(body: bytes, headers: list[tuple[bytes, bytes]], *, in_app: bool = True) -> Request:
    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    scope: dict[str, Any] = {"type": "http", "method": "POST", "path": "/", "query_string": b"", "headers": headers}
    if in_app:
        scope["app"] = object()  # Starlette turns parser errors into HTTPException only inside an app
    return Request(scope, receive)


CASES = [
    pytest.param(b"a=1", [(b"content-type", FORM), (b"content-length", "\u00b9".encode("latin-1"))], True, 413,
                 "too large", id="superscript-length"),
    pytest.param(b"a=1", [(b"content-type", FORM), (b"content-length", b"-3")], True, 413, "too large",
                 id="negative-length"),
    pytest.param(b"a=1", [(b"content-type", FORM), (b"content-length", b"99999999")], True, 413, "too large",
                 id="huge-length"),
    pytest.param(b"&".join(b"f%d=1" % i for i in range(41)), [(b"content-type", FORM)], True, 400, "Too many fields",
                 id="41-fields-in-app"),
    pytest.param(b"&".join(b"f%d=1" % i for i in range(41)), [(b"content-type", FORM)], False, 400, "Too many fields",
                 id="41-fields-bare"),
    pytest.param(b"--x--", [(b"content-type", b"multipart/form-data")], True, 400, "Missing boundary",
                 id="no-boundary"),
    pytest.param(b"{}", [(b"content-type", b"application/json")], True, 415, "x-www-form-urlencoded", id="json"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "headers", "in_app", "status", "message"), CASES)
async def test_refused_bodies(
    body: bytes, headers: list[tuple[bytes, bytes]], in_app: bool, status: int, message: str
) -> None:
    with pytest.raises(ParameterError) as caught:
        await form_params(_request(body, headers, in_app=in_app), 2048)
    assert caught.value.status == status and message in caught.value.message


async def test_forty_fields_are_read() -> None:
    body = b"&".join(b"f%d=1" % i for i in range(40))
    params = await form_params(_request(body, [(b"content-type", FORM)]), 2048)
    assert len(params) == 40


async def test_line_breaks_only_in_the_named_text_areas_and_a_larger_field_limit_when_asked() -> None:
    body = b"rules=%7B%0D%0A%7D&comment=a%0Ab"
    with pytest.raises(ParameterError) as caught:
        await form_params(_request(body, [(b"content-type", FORM)]), 2048, multiline=frozenset({"rules"}))
    assert caught.value.message == "parameter 'comment' contains control characters"
    both = frozenset({"rules", "comment"})
    params = await form_params(_request(body, [(b"content-type", FORM)]), 2048, multiline=both)
    assert params == {"rules": "{\r\n}", "comment": "a\nb"}
    many = b"&".join(b"f%d=1" % i for i in range(100))
    assert len(await form_params(_request(many, [(b"content-type", FORM)]), 2048, max_parameters=100)) == 100
    with pytest.raises(ParameterError):
        await form_params(_request(many + b"&x=1", [(b"content-type", FORM)]), 2048, max_parameters=100)


@pytest.mark.parametrize("code", range(0x100))
async def test_control_characters_refused_tab_and_printable_accepted(code: int) -> None:
    refused = (code < 0x20 and chr(code) != "\t") or code == 0x7F
    body = b"state=abc" + b"%%%02X" % code + b"def"
    if refused:
        with pytest.raises(ParameterError) as caught:
            await form_params(_request(body, [(b"content-type", FORM)]), 2048)
        assert caught.value.message == "parameter 'state' contains control characters"
    else:
        params = await form_params(_request(body, [(b"content-type", FORM)]), 2048)
        assert params["state"] == "abc" + bytes([code]).decode("utf-8", "replace") + "def"
