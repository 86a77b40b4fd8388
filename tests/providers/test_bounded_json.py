"""providers.bounded_json: documents over the size or depth bound are refused before the parser sees them."""

from __future__ import annotations

import json

import pytest

from providers.bounded_json import MAX_DEPTH, JSONLimitError, loads, too_deep

DEPTH_CASES = [
    ("[" * 100_000, True),
    ("{\"a\":" * 100_000, True),
    ("[" * MAX_DEPTH + "]" * MAX_DEPTH, False),
    ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), True),
    (json.dumps(["[" * 10_000]), False),  # brackets inside a string are text
    (json.dumps(['\\"' + "[" * 10_000]), False),  # an escaped quote does not end the string
    (json.dumps(["\\", "[" * 10_000]), False),  # an escaped backslash does not escape the closing quote
    ('"\\\\"' + "[" * (MAX_DEPTH + 1), True),  # ... so the brackets after it count
    ("[]" * 100_000, False),  # long but flat
]


@pytest.mark.parametrize(("text", "deep"), DEPTH_CASES, ids=[f"case-{i}" for i in range(len(DEPTH_CASES))])
def test_depth_pre_scan_counts_structure_outside_strings_only(text: str, deep: bool) -> None:
    assert too_deep(text) is deep


def test_a_hundred_thousand_brackets_are_refused_without_recursion() -> None:
    with pytest.raises(JSONLimitError, match="nested more than 64 levels deep") as info:
        loads(b"[" * 100_000, max_bytes=1 << 20, what="the body")
    assert info.value.too_large is False


def test_an_oversized_document_is_refused_before_decoding() -> None:
    with pytest.raises(JSONLimitError, match=r"the body is larger than 10 bytes \(got 11\)") as info:
        loads(b'"' + b"x" * 9 + b'"', max_bytes=10, what="the body")
    assert info.value.too_large is True


def test_documents_within_bounds_parse_as_json_loads_does() -> None:
    document = {"policy": {"allowed_providers": ["acme"], "nested": [[[{"deep": "[{"}]]]}}
    assert loads(json.dumps(document).encode(), max_bytes=1024) == document
    with pytest.raises(ValueError):
        loads(b"{nope", max_bytes=1024)
    with pytest.raises(ValueError):
        loads(b"\xff\xfe", max_bytes=1024)
