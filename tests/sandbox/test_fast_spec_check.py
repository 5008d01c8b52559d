"""The spec check's compiled yes/no answer agrees with `jsonschema` on every operation's schemas.

The compiled check (`bot.sandbox._fastschema`) answers first, and `jsonschema` is asked only
when it says no; so a value it accepted that `jsonschema` refuses would pass unchecked. Values
are made from each schema of both published documents (Discord's, OpenAPI 3.1, and X's, 3.0
with ``nullable``) and then broken in the ways a client gets a body wrong.
"""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.sandbox import _fastschema
from bot.sandbox._openapi import Body, Document, Operation
from bot.sandbox.discord._spec import discord_document
from bot.sandbox.x._spec import x_document
from tests.properties import examples
from tests.sandbox.conftest import counted_verdicts

JSON = Any
DOCUMENTS = {"discord": discord_document, "x": x_document}
ODD_VALUES: list[JSON] = [
    None,
    True,
    False,
    0,
    1,
    -1,
    1.0,
    1.5,
    2**64,
    "",
    "x",
    "0",
    "123",
    "123\n",
    "a" * 5000,
    [],
    [1, 1],
    {},
    {"type": 1},
]
"""What a mistaken client puts where a value belongs: every type, edges of each."""


def parts(document: Document) -> list[tuple[Operation, str]]:
    """Every operation's path, query and body schemas (what the spec check validates)."""
    found: list[tuple[Operation, str]] = []
    for template, item in document.contents["paths"].items():
        for method in item:
            operation = document.operation(method, template)
            if operation is None:
                continue
            locations = {p.location for p in operation.parameters()}
            found += [
                (operation, location) for location in ("path", "query") if location in locations
            ]
            found += [(operation, f"body:{media}") for media in operation.media_types()]
    return found


def verdicts_and_validators(name: str) -> list[tuple[Any, Any, Document]]:
    document = DOCUMENTS[name]()
    made = []
    for operation, part in parts(document):
        schema = operation.schema(part)
        made.append((document.verdict(schema), document.validator(schema), document))
    return made


_MADE: dict[str, list[tuple[Any, Any, Document]]] = {}


def made(name: str) -> list[tuple[Any, Any, Document]]:
    if name not in _MADE:
        _MADE[name] = verdicts_and_validators(name)
    return _MADE[name]


def sample(document: Document, schema: JSON, rng: random.Random, depth: int = 0) -> JSON:
    """A value shaped by ``schema``: mostly valid, as a client that read the document sends."""
    schema = document.follow(schema)
    if depth > 6:
        return None
    for keyword in ("oneOf", "anyOf"):
        if schema.get(keyword):
            return sample(document, rng.choice(schema[keyword]), rng, depth + 1)
    if schema.get("allOf"):
        value: dict[str, JSON] = {}
        for branch in schema["allOf"]:
            part = sample(document, branch, rng, depth + 1)
            if isinstance(part, dict):
                value.update(part)
        return value
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return rng.choice(schema["enum"])
    declared = schema.get("type")
    types = [declared] if isinstance(declared, str) else list(declared or ["object"])
    kind = rng.choice(types)
    if kind == "object":
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        return {
            name: sample(document, sub, rng, depth + 1)
            for name, sub in properties.items()
            if name in required or rng.random() < 0.5
        }
    if kind == "array":
        count = max(schema.get("minItems", 0), rng.randint(0, 2))
        return [sample(document, schema.get("items", {}), rng, depth + 1) for _ in range(count)]
    if kind == "string":
        if schema.get("pattern") == "^(0|[1-9][0-9]*)$" or schema.get("format") == "snowflake":
            return str(rng.randint(1, 2**62))
        return "x" * max(
            schema.get("minLength", 0), min(rng.randint(0, 12), schema.get("maxLength", 99))
        )
    if kind == "integer":
        return int(schema.get("minimum", rng.randint(0, 3)))
    if kind == "number":
        return float(schema.get("minimum", 0.5))
    if kind == "boolean":
        return rng.random() < 0.5
    return None


def paths(value: JSON, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place inside ``value`` (the whole value too)."""
    found = [here]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*here, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*here, index))
    return found


def broken(value: JSON, rng: random.Random) -> JSON:
    """``value`` with one thing changed: a value swapped, a key dropped or added, a list grown."""
    value = copy.deepcopy(value)
    where = rng.choice(paths(value))
    if not where:
        return rng.choice(ODD_VALUES) if rng.random() < 0.3 else value
    parent = value
    for step in where[:-1]:
        parent = parent[step]
    last = where[-1]
    move = rng.randrange(4)
    if move == 0:
        parent[last] = copy.deepcopy(rng.choice(ODD_VALUES))
    elif move == 1 and isinstance(parent, dict):
        del parent[last]
    elif move == 2 and isinstance(parent, dict):
        parent[f"{last}_unknown"] = rng.choice(ODD_VALUES)
    elif isinstance(parent[last], list) and parent[last]:
        parent[last].append(copy.deepcopy(parent[last][0]))
    elif isinstance(parent[last], str):
        parent[last] += rng.choice(["\n", "x" * 4000, "é"])
    else:
        parent[last] = copy.deepcopy(rng.choice(ODD_VALUES))
    return value


@pytest.mark.parametrize("name", list(DOCUMENTS))
def test_every_schema_of_both_documents_has_a_compiled_check(name: str) -> None:
    missing = [validator.schema for verdict, validator, _ in made(name) if verdict is None]
    assert len(made(name)) > 100
    assert missing == []


@pytest.mark.parametrize("name", list(DOCUMENTS))
@examples(400, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_the_compiled_check_accepts_exactly_what_jsonschema_accepts(name: str, seed: int) -> None:
    rng = random.Random(seed)
    verdict, validator, document = rng.choice(made(name))
    value = sample(document, validator.schema, rng)
    for _ in range(rng.randint(0, 3)):
        value = broken(value, rng)
    valid = next(iter(validator.iter_errors(value)), None) is None
    assert verdict(copy.deepcopy(value)) == valid, value


@pytest.mark.parametrize("name", list(DOCUMENTS))
@pytest.mark.parametrize(
    ("schema", "value"),
    [
        ({"pattern": "^(0|[1-9][0-9]*)$"}, "123\n"),
        ({"not": {"pattern": "^a$"}}, "a\n"),
        ({"oneOf": [{"pattern": "^a$"}, {"maxLength": 2}]}, "a\n"),
        ({"pattern": "^a\\$$"}, "a$\n"),
    ],
)
def test_a_dollar_anchor_is_read_as_python_reads_it(name: str, schema: JSON, value: str) -> None:
    # fastjsonschema alone reads ``$`` as the very end: it would refuse the first, and accept
    # the second and third, which jsonschema (Python's ``re``) refuses.
    document = DOCUMENTS[name]()
    verdict = document.verdict(schema)
    assert verdict is not None
    assert verdict(value) == document.validator(schema).is_valid(value)


TOLD_APART: list[JSON] = [{"type": 1}, {"type": 3}, {"type": True}, {}, "abc", []]


def told(value: JSON) -> JSON:
    """An object schema part requiring ``type`` to be ``value``."""
    return {"properties": {"type": {"enum": [value]}}, "required": ["type"]}


EDGES: list[tuple[str, JSON, JSON]] = [
    # OpenAPI 3.0's ``nullable`` admits null through ``type``; in 3.1 it means nothing.
    ("x", {"type": "string", "nullable": True}, None),
    ("discord", {"type": "string", "nullable": True}, None),
    ("x", {"type": "string", "nullable": True, "enum": ["a"]}, None),
    # True is not 1, nor 1.0 an integer in draft 4 (it is one in 2020-12).
    ("discord", {"enum": [1, 2]}, True),
    ("discord", {"const": False}, 0),
    ("discord", {"const": 2, "enum": [1, 2]}, 1),
    ("discord", {"const": 2, "enum": [1, 2], "allOf": [{"type": "integer"}]}, 2),
    # Discord spells an enum as a oneOf of consts: one matching value, not two.
    ("discord", {"oneOf": [{"const": 1}, {"const": 1.0}]}, 1),
    ("discord", {"oneOf": [{"const": 1}, {"const": True}]}, True),
    ("discord", {"anyOf": [{"const": 1}, {"const": 1.0}]}, 1),
    ("discord", {"const": 1, "oneOf": [{"const": 1}, {"const": 2}]}, 2),
    ("discord", {"oneOf": [{"const": 1}], "anyOf": [{"const": 2}]}, 1),
    # A oneOf told apart by a required property's value (Discord's message components).
    *(
        ("discord", {"oneOf": [{**kind, **told(1)}, {**kind, **told(2)}]}, value)
        for kind in ({"type": "object"}, {})
        for value in TOLD_APART
    ),
    (
        "discord",
        {"oneOf": [{"type": "object", **told(1)}, {"type": "object", **told(1.0)}]},
        {"type": 1},
    ),
    ("x", {"type": "integer"}, 1.0),
    ("discord", {"type": "integer"}, 1.0),
    ("discord", {"maximum": 3}, True),
    ("discord", {"uniqueItems": True}, [1, True]),
    ("discord", {"uniqueItems": True}, [{"a": 1}, {"a": True}]),
    # A ``$ref``'s siblings count in 3.1 and are ignored in 3.0.
    ("discord", {"$ref": "/components/schemas/SnowflakeType", "maxLength": 2}, "123"),
    ("x", {"$ref": "/components/schemas/UserId", "maxLength": 2}, "123"),
    ("x", {"$ref": "/components/schemas/UserId", "maxLength": 2}, "12345678901234567890"),
]


@pytest.mark.parametrize(("name", "schema", "value"), EDGES)
def test_where_the_drafts_differ_the_compiled_check_reads_the_document_as_jsonschema(
    name: str, schema: JSON, value: JSON
) -> None:
    document = DOCUMENTS[name]()
    if "$ref" in schema:
        schema = {**schema, **document.ref(schema["$ref"])}
    verdict = document.verdict(schema)
    assert verdict is not None
    assert verdict(value) == document.validator(schema).is_valid(value)


def test_keywords_it_is_not_trusted_with_are_left_to_jsonschema() -> None:
    assert DOCUMENTS["x"]().verdict({"const": 1}) is None  # draft 4 has no const
    assert discord_document().verdict({"enum": [[1], {"a": True}]}) is None
    assert discord_document().verdict({"if": {"type": "string"}}) is None
    # jsonschema reads this pointer in the schema itself, which has no components.
    assert discord_document().verdict({"$ref": "#/components/schemas/SnowflakeType"}) is None


def test_a_dollar_in_a_set_is_left_to_jsonschema() -> None:
    assert discord_document().verdict({"pattern": "^[a$]+$"}) is None


def slow_document(name: str, monkeypatch: pytest.MonkeyPatch) -> Document:
    """The same document, loaded afresh where fastjsonschema is not installed."""
    with monkeypatch.context() as patched:
        patched.setattr(_fastschema, "fastjsonschema", None)
        document: Document = DOCUMENTS[name].__wrapped__()
        operation = document.operation("POST", next(iter(document.contents["paths"])))
        assert operation is None or document.verdict(operation.schema("path")) is None
    return document


@pytest.mark.parametrize("name", list(DOCUMENTS))
def test_requests_are_refused_with_the_same_problems_as_without_the_compiled_check(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, slow = DOCUMENTS[name](), slow_document(name, monkeypatch)
    rng = random.Random(2026)
    compared = refused = 0
    for operation, part in parts(fast):
        if not part.startswith("body:application/json"):
            continue
        twin = slow.operation(operation.method, operation.template)
        assert twin is not None
        schema = operation.schema(part)
        for _ in range(3):
            value = broken(sample(fast, schema, rng), rng)
            body = Body(True, part.removeprefix("body:"), value)
            params = {"channel_id": "1", "webhook_id": "1", "id": "1"}
            expected = twin.check(params, {"limit": "x"}, body)
            assert operation.check(params, {"limit": "x"}, body) == expected
            compared += 1
            refused += bool(expected)
    assert compared > 100 and refused > compared // 4


def test_a_valid_bodys_verdict_is_remembered_by_its_text(monkeypatch: pytest.MonkeyPatch) -> None:
    # Readers of one answer are sent the same bytes: they are valid once checked, and only
    # the very same text (a value read from it is always the same) skips the check.
    operation = Document.packaged("bot.sandbox.discord", "discord", base_path="/api/v10").operation(
        "POST", "/interactions/{interaction_id}/{interaction_token}/callback"
    )
    assert operation is not None
    part = "body:application/json"
    asked = counted_verdicts(operation, part, monkeypatch)
    params = {"interaction_id": "1", "interaction_token": "t"}
    answer = {"type": 4, "data": {"content": "Found 3", "flags": 64}}
    text = json.dumps(answer).encode()
    for _ in range(3):
        assert operation.check(params, {}, Body(True, "application/json", answer, text)) == []
    assert asked == [answer]
    respaced = json.dumps(answer, indent=1).encode()
    assert operation.check(params, {}, Body(True, "application/json", answer, respaced)) == []
    assert operation.check(params, {}, Body(True, "application/json", answer)) == []
    assert asked == [answer] * 3

    wrong = {"type": "4", "data": {}}
    wrong_text = json.dumps(wrong).encode()
    first = operation.check(params, {}, Body(True, "application/json", wrong, wrong_text))
    again = operation.check(params, {}, Body(True, "application/json", wrong, wrong_text))
    assert first == again and {p.where() for p in first} == {"body type"}
    assert asked == [answer] * 3 + [wrong] * 2


def test_a_remembered_verdict_holds_only_for_the_schema_it_was_given_by() -> None:
    # The same text is valid as a thread's changes and not as a text channel's: the channel
    # chooses the schema, and the verdict is remembered per schema.
    operation = discord_document().operation("PATCH", "/channels/{channel_id}")
    assert operation is not None
    changes = {"locked": "x", "bitrate": 5}
    text = json.dumps(changes).encode()
    body = Body(True, "application/json", changes, text)
    params = {"channel_id": "1"}
    for _ in range(2):
        assert operation.check(params, {}, body, "UpdateDMRequestPartial") == []
        problems = operation.check(params, {}, body, "UpdateThreadRequestPartial")
        assert [str(p) for p in problems] == [
            "body locked: 'x' is not of type boolean or null",
            "body bitrate: 5 is less than 8000",
        ]
