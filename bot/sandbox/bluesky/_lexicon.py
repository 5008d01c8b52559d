"""Values checked against the vendored lexicons (`spec/`), as the PDS checks them.

The rules are the AT Protocol's Lexicon specification (atproto.com/specs/lexicon): a string's
`maxLength` counts its UTF-8 bytes and `maxGraphemes` its grapheme clusters; `format`s are those
of atproto.com/specs/lexicon#string-formats (did, handle, nsid, record-key, tid, cid, at-uri,
datetime, uri, language); an open union's member names its `$type`; `unknown` is any object.
Only the types the vendored lexicons use are implemented; anything else is refused as not
modelled, so an emulator gap can never pass as a valid request.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

import libipld
import regex

JSON = Any

_GRAPHEME = regex.compile(r"\X")
_DID = re.compile(r"^did:[a-z]+:[a-zA-Z0-9._:%-]*[a-zA-Z0-9._-]$")
_HANDLE = re.compile(
    r"^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$"
)
_NSID = re.compile(
    r"^[a-zA-Z]([a-zA-Z0-9-]{0,62})?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,62})?)+(\.[a-zA-Z][a-zA-Z0-9]{0,62})$"
)
_RECORD_KEY = re.compile(r"^[a-zA-Z0-9_~.:-]{1,512}$")
TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
_DATETIME = re.compile(
    r"^[0-9]{4}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-6][0-9]:[0-6][0-9](\.[0-9]{1,20})?"
    r"(Z|[+-][0-2][0-9]:[0-5][0-9])$"
)
_URI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:(//)?[^\s/][^\s]*$")
_LANGUAGE = re.compile(r"^(i|[a-z]{2,3})(-[a-zA-Z0-9]+)*$")


class Invalid(Exception):
    """A value breaks its lexicon; the message is the PDS's kind of sentence."""


def graphemes(text: str) -> int:
    """Grapheme clusters in `text` (Unicode's extended ones, as the PDS counts them)."""
    return len(_GRAPHEME.findall(text))


@cache
def lexicon(nsid: str) -> JSON:
    """A vendored lexicon document by its NSID."""
    text = resources.files("bot.sandbox.bluesky").joinpath("spec", f"{nsid}.json").read_text()
    return json.loads(text)


def definition(ref: str, base: str) -> tuple[JSON, str]:
    """The definition `ref` (`#local`, `nsid`, `nsid#name`) names, seen from lexicon `base`."""
    nsid, _, name = ref.partition("#")
    nsid = nsid or base
    try:
        return lexicon(nsid)["defs"][name or "main"], nsid
    except (FileNotFoundError, KeyError):
        raise Invalid(f"{ref} is not a lexicon the emulator models") from None


def at_uri(value: str) -> bool:
    """`at://<did or handle>[/<nsid>[/<record-key>]]`."""
    if not value.startswith("at://"):
        return False
    parts = value[5:].split("/")
    if len(parts) > 3 or not (_DID.match(parts[0]) or _HANDLE.match(parts[0])):
        return False
    if len(parts) > 1 and not _NSID.match(parts[1]):
        return False
    return len(parts) < 3 or record_key(parts[2])


def record_key(value: str) -> bool:
    """A record key: 1–512 of `A-Za-z0-9_~.:-`, and neither `.` nor `..`."""
    return bool(_RECORD_KEY.match(value)) and value not in (".", "..")


def _cid(value: str) -> bool:
    try:
        libipld.decode_cid(value)
    except ValueError:
        return False
    return True


def _datetime(value: str) -> bool:
    if not _DATETIME.match(value) or value.endswith("-00:00"):
        return False
    try:
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


FORMATS: dict[str, Callable[[str], bool]] = {
    "did": lambda v: len(v) <= 2048 and bool(_DID.match(v)),
    "handle": lambda v: len(v) <= 253 and bool(_HANDLE.match(v)),
    "at-identifier": lambda v: bool(_DID.match(v) or _HANDLE.match(v)),
    "nsid": lambda v: len(v) <= 317 and bool(_NSID.match(v)),
    "record-key": record_key,
    "tid": lambda v: bool(TID.match(v)),
    "cid": _cid,
    "at-uri": lambda v: len(v) <= 8192 and at_uri(v),
    "datetime": _datetime,
    "uri": lambda v: len(v) <= 8192 and bool(_URI.match(v)),
    "language": lambda v: bool(_LANGUAGE.match(v)),
}


def check(value: JSON, schema: JSON, base: str, path: str) -> None:
    """Raise `Invalid` if `value` breaks `schema` (a definition of lexicon `base`)."""
    kind = schema.get("type")
    if kind == "ref":
        target, nsid = definition(schema["ref"], base)
        check(value, target, nsid, path)
    elif kind in ("object", "params", "record"):
        _object(value, schema.get("record", schema), base, path)
    elif kind == "string":
        _string(value, schema, path)
    elif kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            raise Invalid(f"{path} must be an integer")
        if value < schema.get("minimum", value):
            raise Invalid(f"{path} can not be less than {schema['minimum']}")
        if value > schema.get("maximum", value):
            raise Invalid(f"{path} can not be greater than {schema['maximum']}")
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise Invalid(f"{path} must be a boolean")
    elif kind == "array":
        if not isinstance(value, list):
            raise Invalid(f"{path} must be an array")
        if len(value) > schema.get("maxLength", len(value)):
            raise Invalid(f"{path} must not have more than {schema['maxLength']} elements")
        for number, element in enumerate(value):
            check(element, schema["items"], base, f"{path}/{number}")
    elif kind == "union":
        _union(value, schema, base, path)
    elif kind == "unknown":
        if not isinstance(value, dict):
            raise Invalid(f"{path} must be an object")
    else:
        raise Invalid(f"{path}: the emulator does not model lexicon type {kind!r}")


def _object(value: JSON, schema: JSON, base: str, path: str) -> None:
    if not isinstance(value, dict):
        raise Invalid(f"{path} must be an object")
    for name in schema.get("required", []):
        if name not in value:
            raise Invalid(f'{path} must have the property "{name}"')
    for name, field in schema.get("properties", {}).items():
        if name in value:
            check(value[name], field, base, f"{path}/{name}")


def _string(value: JSON, schema: JSON, path: str) -> None:
    if not isinstance(value, str):
        raise Invalid(f"{path} must be a string")
    if len(value.encode()) > schema.get("maxLength", len(value.encode())):
        raise Invalid(f"{path} must not be longer than {schema['maxLength']} characters")
    if "maxGraphemes" in schema and graphemes(value) > schema["maxGraphemes"]:
        raise Invalid(f"{path} must not be longer than {schema['maxGraphemes']} graphemes")
    form = schema.get("format")
    if form is not None and not FORMATS[form](value):
        raise Invalid(f"{path} must be a valid {form}")


def _union(value: JSON, schema: JSON, base: str, path: str) -> None:
    if not isinstance(value, dict) or not isinstance(value.get("$type"), str):
        raise Invalid(f'{path} must be an object which includes the "$type" property')
    wanted = value["$type"]
    for ref in schema["refs"]:
        nsid, _, name = ref.partition("#")
        full = f"{nsid or base}#{name}" if name else nsid
        if wanted in (full, full.removesuffix("#main")):
            target, owner = definition(ref, base)
            check(value, target, owner, path)
            return
    if schema.get("closed"):
        raise Invalid(f"{path} $type must be one of {', '.join(schema['refs'])}")


def input_schema(nsid: str) -> JSON:
    """The input body schema of procedure `nsid`."""
    return lexicon(nsid)["defs"]["main"]["input"]["schema"]


def params(nsid: str, query: dict[str, str]) -> dict[str, JSON]:
    """The query of `nsid` read by its parameter types (integers, booleans), then checked."""
    schema = lexicon(nsid)["defs"]["main"]["parameters"]
    read: dict[str, JSON] = {}
    for name, text in query.items():
        field = schema["properties"].get(name)
        if field is None:
            continue
        if field["type"] == "integer":
            try:
                read[name] = int(text)
            except ValueError:
                raise Invalid(f"{name} must be an integer") from None
        elif field["type"] == "boolean":
            if text not in ("true", "false"):
                raise Invalid(f"{name} must be a boolean")
            read[name] = text == "true"
        else:
            read[name] = text
    check(read, schema, nsid, "Params")
    return read
