"""`parse_json`, the one JSON parser of request bodies: strict JSON, 64 levels, storable text, finite numbers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenantplane.kit.errors import BadCursor, MalformedJSON, ValidationFailed
from tenantplane.kit.input_rules import MAX_JSON_DEPTH, MAX_PROBLEMS, parse_json
from tenantplane.kit.pagination import decode_cursor, encode_cursor


def nested(depth: int) -> bytes:
    """A document `depth` levels deep: [[[...]]]."""
    return b"[" * depth + b"]" * depth


def fields(error: ValidationFailed) -> list[str]:
    return [e["field"] for e in error.errors or []]


storable_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20)
documents = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | storable_text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(storable_text, children, max_size=4),
    max_leaves=30,
)


@given(documents)
def test_every_storable_document_round_trips(document: Any) -> None:
    assert parse_json(json.dumps(document).encode()) == document


def test_64_levels_are_accepted_and_65_are_not() -> None:
    assert parse_json(nested(MAX_JSON_DEPTH))
    with pytest.raises(ValidationFailed) as refused:
        parse_json(nested(MAX_JSON_DEPTH + 1))
    assert fields(refused.value) == [".".join(["0"] * MAX_JSON_DEPTH)]


@pytest.mark.parametrize("depth", [199, 201, 900, 100_000, 1_000_000])
def test_any_depth_is_a_422_never_a_recursion_error(depth: int) -> None:
    with pytest.raises(ValidationFailed, match="nests deeper than 64 levels"):
        parse_json(nested(depth))


@pytest.mark.parametrize(
    "raw",
    [b"NaN", b"[Infinity]", b'{"a": -Infinity}', b"{", b"[1,]", b"\xff\xfe", b"1" * 5000],
    ids=["nan", "infinity", "minus-infinity", "truncated", "trailing-comma", "not-utf8", "huge-int"],
)
def test_what_is_not_json_is_malformed(raw: bytes) -> None:
    with pytest.raises(MalformedJSON):
        parse_json(raw)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'{"a": {"b": "x\\u0000y"}}', "a.b"),
        (b'{"a": ["ok", "\\ud800"]}', "a.1"),
        (b'{"a": {"\\udfff": 1}}', "a"),
        (b'{"k\\u0000": 1}', "body"),
        (b'{"n": 1e400}', "n"),
        (b"[-1e999]", "0"),
        (b'"\\u0000"', "body"),
        (b'{"a": "\xed\xa0\x80"}', "a"),  # a surrogate encoded as UTF-8 bytes, which Python decodes
    ],
)
def test_values_postgresql_cannot_store_name_their_field(raw: bytes, field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_json(raw)
    assert fields(refused.value) == [field]


def test_problems_are_capped() -> None:
    raw = json.dumps({f"k{i}": "\x00" for i in range(100)}).encode()
    with pytest.raises(ValidationFailed) as refused:
        parse_json(raw)
    assert len(fields(refused.value)) == MAX_PROBLEMS


def test_a_surrogate_pair_is_one_character_not_a_lone_surrogate() -> None:
    assert parse_json(b'"\\ud83d\\ude80"') == "\U0001f680"


def test_cursors_round_trip_and_strangers_are_refused() -> None:
    at, row = datetime.now(UTC), uuid4()
    assert decode_cursor(encode_cursor(at, row)) == (at, row)
    for stranger in ["", "x" * 201, "W1tb", "é", encode_cursor(at, row)[:-3]]:
        with pytest.raises(BadCursor):
            decode_cursor(stranger)
