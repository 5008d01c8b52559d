"""A quick yes/no answer to "does this value validate?", for the spec check's common case.

`jsonschema` walks a schema keyword by keyword, resolving every ``$ref`` through `referencing`
as it goes: a message body with embeds and components costs it well over 10 ms. Nearly every
request an emulator sees is valid, and for a valid one only that verdict matters, so each
schema is also compiled once into Python code by `fastjsonschema`; the spec check asks it
first and asks `jsonschema` (which says where and why) only when it says no.

The compiled code must never accept what `jsonschema` refuses. The schema it is compiled from
is rewritten so that it means what `jsonschema` reads in the OpenAPI document:

- only the keywords listed here are kept; a schema with any other validation keyword is not
  compiled at all (`Unsupported`), and `jsonschema` alone checks it;
- ``format``, ``contentEncoding``, ``default`` and the other annotations are dropped (the spec
  check validates no format, and `fastjsonschema` would check or even fill them in);
- OpenAPI 3.0's ``nullable: true`` adds ``"null"`` to the schema's ``type``, as the spec check's
  ``type`` does; in 3.1 it is an unknown keyword, ignored as `jsonschema` ignores it;
- ``$ref`` ignores its siblings in 3.0 (JSON Schema draft 4) and not in 3.1 (2020-12), where
  they are joined to it with ``allOf``;
- every ``$ref`` points into one ``definitions`` map of the compiled schema, so nothing is
  resolved against the whole document at run time;
- a ``pattern``'s ``$`` is spelled as Python's ``re`` reads it (fastjsonschema would read the
  very end), and an ``enum`` or ``const`` of lists or objects is left to `jsonschema` (Python's
  ``==`` finds True equal to 1 inside them);
- a ``oneOf`` of one-value enums (Discord's enums) is that enum, and a ``oneOf`` whose
  branches a required value tells apart is compiled as ``anyOf``: the same verdicts, faster.

Even a stricter compiled check would be wrong: inside a ``not`` or a ``oneOf`` branch,
stricter is more lenient. tests/sandbox/test_fast_spec_check.py holds both to the same verdict.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from typing import Any


def _fastjsonschema() -> Any:
    try:
        return importlib.import_module("fastjsonschema")
    except ImportError:  # a dev/sandbox dependency: without it every check takes the slow path
        return None


fastjsonschema = _fastjsonschema()

JSON = Any
Verdict = Callable[[JSON], bool]

DRAFT4 = "http://json-schema.org/draft-04/schema#"
DRAFT2019 = "https://json-schema.org/draft/2019-09/schema"

_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_SUBSCHEMA_ONE = ("not", "additionalProperties")
_VALUES = frozenset(
    {
        "type",
        "required",
        "maxLength",
        "minLength",
        "maxItems",
        "minItems",
        "uniqueItems",
        "maxProperties",
        "minProperties",
        "maximum",
        "minimum",
        "exclusiveMaximum",
        "exclusiveMinimum",
        "multipleOf",
    }
)
"""Keywords whose value is not a schema and which both validators read alike."""
_ANNOTATIONS = frozenset(
    {
        "title",
        "description",
        "default",
        "example",
        "examples",
        "format",
        "deprecated",
        "readOnly",
        "writeOnly",
        "contentEncoding",
        "contentMediaType",
        "discriminator",
        "externalDocs",
        "xml",
        "$comment",
        "nullable",
    }
)
"""Keywords that validate nothing in the spec check (no format checker, no defaults)."""


class Unsupported(Exception):
    """The schema uses a keyword this module does not translate."""


def available() -> bool:
    """Whether `fastjsonschema` is installed (else every check is `jsonschema`'s alone)."""
    return fastjsonschema is not None


def compile_verdict(
    schema: JSON, resolve: Callable[[str], JSON], *, openapi30: bool
) -> Verdict | None:
    """A function saying whether a value validates against ``schema``, or None when
    `fastjsonschema` is missing or the schema uses a keyword it is not trusted with.

    ``resolve`` maps a ``$ref`` to the schema it names (the document's own resolution).
    """
    if fastjsonschema is None:
        return None
    try:
        root = _Translation(resolve, openapi30).root(schema)
    except Unsupported:
        return None
    # Without details a refusal costs no message, and oneOf refuses many branches per value.
    validate = fastjsonschema.compile(
        root, use_default=False, use_formats=False, detailed_exceptions=False
    )
    invalid = fastjsonschema.JsonSchemaException

    def verdict(value: JSON) -> bool:
        try:
            validate(value)
        except invalid:
            return False
        return True

    return verdict


class _Translation:
    """One schema and everything it refers to, rewritten for `fastjsonschema` (see above)."""

    def __init__(self, resolve: Callable[[str], JSON], openapi30: bool) -> None:
        self._resolve = resolve
        self._openapi30 = openapi30
        self._names: dict[str, str] = {}
        self._definitions: dict[str, JSON] = {}

    def root(self, schema: JSON) -> JSON:
        translated = self._schema(schema, inside=False)
        if isinstance(translated, bool):
            translated = {} if translated else {"not": {}}
        # ``definitions`` is no validation keyword: the refs find their targets there.
        draft = DRAFT4 if self._openapi30 else DRAFT2019
        return {**translated, "$schema": draft, "definitions": self._definitions}

    def _schema(self, schema: JSON, *, inside: bool = True) -> JSON:
        """``schema`` translated; ``inside``: it is part of the document, not built on it."""
        if isinstance(schema, bool) and not self._openapi30:
            return schema
        if not isinstance(schema, Mapping):
            raise Unsupported(f"a schema that is a {type(schema).__name__}")
        if isinstance(schema.get("$ref"), str):
            reference = {"$ref": self._reference(schema["$ref"], inside)}
            if self._openapi30:
                return reference
            siblings = self._keywords({k: v for k, v in schema.items() if k != "$ref"}, inside)
            return {"allOf": [reference, siblings]} if siblings else reference
        return self._keywords(schema, inside)

    def _keywords(self, schema: Mapping[str, JSON], inside: bool) -> JSON:
        out: dict[str, JSON] = {}
        also: list[JSON] = []
        for keyword, value in schema.items():
            if keyword == "pattern":
                out[keyword] = python_anchors(value)
            elif keyword == "enum":
                out[keyword] = self._choices(keyword, value)
            elif keyword == "const":
                # A one-value ``enum``: the same test, and fastjsonschema cannot compile
                # ``const`` without detailed errors.
                also.append({"enum": self._choices(keyword, value)})
            elif keyword in _VALUES:
                out[keyword] = value
            elif keyword == "properties":
                out[keyword] = {
                    name: self._schema(sub, inside=inside) for name, sub in value.items()
                }
            elif keyword == "patternProperties":
                out[keyword] = {
                    python_anchors(p): self._schema(sub, inside=inside) for p, sub in value.items()
                }
            elif keyword in _SUBSCHEMA_LISTS:
                branches = [self._schema(sub, inside=inside) for sub in value]
                choices = _choices_of(keyword, branches)
                if choices is not None:
                    also.append({"enum": choices})
                elif keyword == "oneOf" and self._exclusive(branches):
                    # No value passes two branches, so passing one is passing exactly one,
                    # and the compiled anyOf stops at the first branch that passes.
                    out["anyOf" if "anyOf" not in schema else keyword] = branches
                else:
                    out[keyword] = branches
            elif keyword in _SUBSCHEMA_ONE:
                out[keyword] = (
                    value if isinstance(value, bool) else self._schema(value, inside=inside)
                )
            elif keyword == "items" and isinstance(value, list) and self._openapi30:
                out[keyword] = [self._schema(sub, inside=inside) for sub in value]
            elif keyword == "items" and not isinstance(value, list):
                out[keyword] = self._schema(value, inside=inside)
            elif keyword in _ANNOTATIONS or keyword.startswith("x-"):
                continue
            else:
                raise Unsupported(f"the keyword {keyword}")
        if len(also) == 1 and "enum" not in out:
            out["enum"] = also[0]["enum"]
        elif also:
            out["allOf"] = [*out.get("allOf", []), *also]
        if self._openapi30 and schema.get("nullable") is True and "type" in out:
            types = out["type"]
            listed = [types] if isinstance(types, str) else list(types)
            out["type"] = listed if "null" in listed else [*listed, "null"]
        return out

    def _exclusive(self, branches: list[JSON]) -> bool:
        """Whether no value can pass two of these branches: each takes only objects and
        requires one same property to hold its own single value (a message component's
        ``type``), and no two of those values are equal."""
        common: set[str] | None = None
        fixed: list[dict[str, JSON]] = []
        for branch in branches:
            if isinstance(branch, dict) and branch.keys() == {"$ref"}:
                branch = self._definitions.get(branch["$ref"].rsplit("/", 1)[1])
            # Not an object, a value skips properties and required, and could pass them all.
            if not isinstance(branch, dict) or branch.get("type") != "object":
                return False
            required = set(branch.get("required", []))
            properties = branch.get("properties", {})
            values = {
                name: sub["enum"][0]
                for name, sub in properties.items()
                if name in required
                and isinstance(sub, dict)
                and isinstance(sub.get("enum"), list)
                and len(sub["enum"]) == 1
            }
            common = set(values) if common is None else common & set(values)
            fixed.append(values)
        for name in common or ():
            # jsonschema's equality: True is not 1, but 1.0 is.
            told = {(isinstance(values[name], bool), values[name]) for values in fixed}
            if len(told) == len(fixed):
                return True
        return False

    def _choices(self, keyword: str, value: JSON) -> JSON:
        if keyword == "const" and self._openapi30:
            raise Unsupported("const, which draft 4 does not have")
        listed = value if keyword == "enum" else [value]
        # Containers compare with Python's ==, where True equals 1 deep inside them.
        if not isinstance(listed, list) or any(isinstance(v, dict | list) for v in listed):
            raise Unsupported(f"an {keyword} of lists or objects")
        return listed

    def _reference(self, ref: str, inside: bool) -> str:
        if not inside and ref.startswith("#"):
            # jsonschema reads it in the schema built on the document, not in the document.
            raise Unsupported(f"the reference {ref} into a schema outside the document")
        name = self._names.get(ref)
        if name is None:
            # Numbered names: fastjsonschema names its functions after them, and two
            # pointers must never fold into one name.
            name = self._names[ref] = f"s{len(self._names)}"
            self._definitions[name] = {}
            self._definitions[name] = self._schema(self._resolve(ref))
        return f"#/definitions/{name}"


def _choices_of(keyword: str, branches: list[JSON]) -> list[JSON] | None:
    """The values of a ``oneOf``/``anyOf`` of one-value enums (Discord's document spells its
    enums so), which is that enum: one test instead of a refused branch per value. None when
    it is not one, or when two values are equal and ``oneOf`` would refuse a value matching both.
    """
    if not branches or any(
        not isinstance(b, dict) or b.keys() != {"enum"} or len(b["enum"]) != 1 for b in branches
    ):
        return None
    values = [b["enum"][0] for b in branches]
    # jsonschema's equality: True is not 1, but 1.0 is.
    distinct = {(isinstance(v, bool), v) for v in values}
    if keyword == "oneOf" and len(distinct) < len(values):
        return None
    return values


def python_anchors(pattern: str) -> str:
    """``pattern`` with each ``$`` anchor spelled out as Python reads it (the end, or before a
    final newline): fastjsonschema turns a bare ``$`` into ``\\Z``, which `jsonschema` does not.
    """
    try:
        flags = re.compile(pattern).flags
    except re.error as exc:
        raise Unsupported(f"the pattern {pattern}, which Python does not read") from exc
    if flags & re.MULTILINE:
        raise Unsupported(f"the multi-line pattern {pattern}")
    out, index, in_class = [], 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            out.append(pattern[index : index + 2])
            index += 2
            continue
        if in_class and char == "]":
            in_class = False
        elif not in_class and char == "[":
            in_class = True
            # A ``]`` right after ``[`` or ``[^`` is a member, not the end of the set.
            opening = "[^]" if pattern.startswith("[^]", index) else "[]"
            if pattern.startswith(opening, index):
                out.append(opening)
                index += len(opening)
                continue
        elif char == "$":
            if in_class:
                raise Unsupported(f"the pattern {pattern}, with $ in a set")
            char = "(?=\\n?\\Z)"
        out.append(char)
        index += 1
    return "".join(out)
