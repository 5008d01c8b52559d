"""Every request an emulator receives, checked against the platform's published OpenAPI document.

An emulator more lenient than its platform lets a bug ship, so each one puts a `SpecCheck` in
front of its routes: the route and method must exist in the platform's document, and the path
parameters, the query and the body must validate against the operation's schemas. A request that
does not is answered with the platform's own error (the emulator says how), recorded in its
`Violations` as kind ``"spec"``, and never reaches the route handler.

Schemas are validated with `jsonschema`, ``$ref`` resolved through `referencing` against the
whole document; one validator per operation and part is compiled when first needed and kept, and
a document is loaded once per process. Each part's schema is also compiled to Python code
(`bot.sandbox._fastschema`), which answers first: a valid request (nearly all of them) costs a
fraction of a millisecond, and `jsonschema` is asked only to say why a request is refused.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal
from urllib.parse import unquote

from aiohttp import web
from jsonschema import Draft4Validator, Draft202012Validator
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import extend
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT202012

from ._fastschema import Unsupported, Verdict, compile_verdict
from ._violations import Violations

JSON = Any
Location = Literal["path", "query", "body"]
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
SEEN_BODIES = 256
"""Bodies whose problems an operation remembers, most recently seen kept."""
VALID_BODIES = 256
"""Texts of valid bodies an operation remembers, most recently seen kept."""


def _nullable_type(
    validator: Validator, types: Any, instance: Any, schema: Mapping[str, Any]
) -> Iterable[ValidationError]:
    """OpenAPI 3.0's ``type``: ``nullable: true`` also admits null."""
    if instance is None and schema.get("nullable") is True:
        return
    yield from Draft4Validator.VALIDATORS["type"](validator, types, instance, schema)


# OpenAPI 3.0's Schema Object is JSON Schema draft 4 (``$ref`` siblings ignored, boolean
# ``exclusiveMinimum``) plus ``nullable``; 3.1's is JSON Schema 2020-12 as it stands.
OpenAPI30Validator = extend(Draft4Validator, {"type": _nullable_type})  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class Problem:
    """One way a request breaks the document: where, which schema keyword, and why."""

    location: Location
    field: tuple[str | int, ...]
    """The parameter's name, or the path to the offending value inside the body."""
    keyword: str
    """The JSON Schema keyword that failed (``required``, ``maxLength``, ``type``…)."""
    limit: Any
    """That keyword's value in the schema (256 for ``maxLength: 256``)."""
    value: Any
    """The value as validated (parameters after decoding); None for a missing one."""
    message: str
    raw: str | None = None
    """A parameter's text as sent."""

    def where(self) -> str:
        """``body embeds[0].title``, ``query limit``, ``path channel_id``."""
        return f"{self.location} {_dotted(self.field) or '(the whole body)'}"

    def __str__(self) -> str:
        return f"{self.where()}: {self.message}"


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused before it reaches the handler."""

    reason: Literal["no-route", "no-method", "unreadable", "content-type", "invalid"]
    method: str
    path: str
    template: str | None = None
    problems: tuple[Problem, ...] = ()
    note: str = ""

    def detail(self) -> str:
        """One line for the record of violations (which has the method and path)."""
        if self.reason == "no-route":
            return "no such route in the published API"
        if self.reason == "no-method":
            return f"the published API has no {self.method} on {self.template}"
        if self.reason in ("unreadable", "content-type"):
            return self.note
        return "; ".join(str(p) for p in self.problems)


@dataclass(frozen=True)
class Body:
    """A request's body as the emulator reads it: absent, or a media type and a JSON value.

    For ``multipart/form-data`` the value is what its ``payload_json`` part holds ({} when
    there are only files), the way the platform reads it.
    """

    present: bool
    media_type: str = ""
    value: JSON = None
    source: bytes | str | None = None
    """The text ``value`` was read from, when the reader keeps it: the same text is always
    the same value, so a verdict on it can be remembered."""


ABSENT = Body(False)


class UnreadableBody(Exception):
    """The body is not what its Content-Type says (e.g. not JSON)."""


@dataclass(frozen=True)
class _Parameter:
    name: str
    location: Literal["path", "query"]
    required: bool
    pointer: str
    """Where its schema is in the document (a JSON pointer)."""
    types: frozenset[str]
    item_types: frozenset[str]
    explode: bool


class Operation:
    """One method on one path template of the document, with its compiled validators."""

    def __init__(
        self, document: Document, method: str, template: str, pointer: str, spec: JSON
    ) -> None:
        self.document = document
        self.method = method
        self.template = template
        self._pointer = pointer
        self._spec = spec
        self._parameters: list[_Parameter] | None = None
        self._validators: dict[str, Validator] = {}
        self._verdicts: dict[str, Verdict | None] = {}
        self._seen: OrderedDict[tuple[str, str], tuple[Problem, ...]] = OrderedDict()
        self._valid_sources: OrderedDict[tuple[str, bytes | str], None] = OrderedDict()

    # -- what the document says ----------------------------------------------------------

    def parameters(self) -> list[_Parameter]:
        """The path and query parameters, the operation's overriding the path item's."""
        if self._parameters is None:
            found: dict[tuple[str, str], _Parameter] = {}
            item_pointer = self._pointer.rsplit("/", 1)[0]
            item = self.document.at(item_pointer)
            for base, declared in ((item_pointer, item), (self._pointer, self._spec)):
                for index, entry in enumerate(declared.get("parameters", [])):
                    parameter = self._parameter(f"{base}/parameters/{index}", entry)
                    if parameter is not None:
                        found[parameter.location, parameter.name] = parameter
            self._parameters = list(found.values())
        return self._parameters

    def _parameter(self, pointer: str, entry: JSON) -> _Parameter | None:
        while "$ref" in entry:
            pointer = entry["$ref"].removeprefix("#")
            entry = self.document.at(pointer)
        location = entry.get("in")
        # Headers and cookies are the emulator's own business (authentication, audit reasons).
        if location not in ("path", "query"):
            return None
        schema = entry.get("schema", {})
        types = self.document.types(schema)
        items = self.document.follow(schema).get("items", {}) if "array" in types else {}
        style = entry.get("style", "form" if location == "query" else "simple")
        return _Parameter(
            name=entry["name"],
            location=location,
            required=bool(entry.get("required", location == "path")),
            pointer=f"{pointer}/schema",
            types=types,
            item_types=self.document.types(items),
            explode=bool(entry.get("explode", style == "form")),
        )

    def media_types(self) -> list[str]:
        """The body's media types the operation accepts (none: it takes no body)."""
        return list(self._spec.get("requestBody", {}).get("content", {}))

    # -- checking a request --------------------------------------------------------------

    def check(
        self, path_params: Mapping[str, str], query: Any, body: Body, branch: str | None = None
    ) -> list[Problem]:
        """Everything about the parameters and the body that breaks the document.

        ``branch`` names the schema (in ``#/components/schemas``) of a body whose schema is a
        union the platform resolves by something outside the request, like the channel's type.
        """
        problems = self._check_parameters("path", dict(path_params))
        problems += self._check_parameters("query", query)
        problems += self._check_body(body, branch)
        return problems

    def union(self, media_type: str) -> list[str]:
        """The schema names the body's schema is a union of (``anyOf``/``oneOf`` of refs)."""
        content = self._spec.get("requestBody", {}).get("content", {}).get(media_type, {})
        schema = content.get("schema", {})
        branches = schema.get("anyOf", schema.get("oneOf", []))
        return [b["$ref"].rsplit("/", 1)[1] for b in branches if "$ref" in b]

    def _check_parameters(self, location: Literal["path", "query"], given: Any) -> list[Problem]:
        # A parameter the document does not declare is not checked: OpenAPI does not forbid one.
        declared = [p for p in self.parameters() if p.location == location]
        if not declared:
            return []
        values: dict[str, Any] = {}
        raws: dict[str, str] = {}
        for parameter in declared:
            sent = _all_values(given, parameter.name)
            if sent:
                values[parameter.name] = self._decode(parameter, sent)
                raws[parameter.name] = ",".join(sent)
        if self._valid(location, values):
            return []
        problems = []
        for error in self._validator(location).iter_errors(values):
            for leaf in _leaves(error):
                path = list(leaf.absolute_path)
                if not path and leaf.validator == "required":
                    for name in _missing(leaf):
                        problems.append(
                            Problem(location, (name,), "required", None, None, "is required")
                        )
                    continue
                name = str(path[0]) if path else ""
                problems.append(
                    Problem(
                        location,
                        (name,),
                        str(leaf.validator),
                        leaf.validator_value,
                        values.get(name),
                        _explain(leaf),
                        raws.get(name),
                    )
                )
        return problems

    def _decode(self, parameter: _Parameter, sent: list[str]) -> Any:
        if "array" in parameter.types:
            parts = sent if parameter.explode else [p for s in sent for p in s.split(",")]
            return [self.document.scalar(p, parameter.item_types) for p in parts]
        return self.document.scalar(sent[0], parameter.types)

    def _check_body(self, body: Body, branch: str | None) -> list[Problem]:
        request_body = self._spec.get("requestBody")
        # The document defines no body here: like the platforms, nothing in one is read.
        if request_body is None:
            return []
        if not body.present:
            if request_body.get("required", False):
                return [Problem("body", (), "required", None, None, "a body is required")]
            return []
        part = f"body:{body.media_type}"
        if branch is not None:
            if branch not in self.union(body.media_type):
                raise ValueError(f"{branch} is not a schema {self.template}'s body may have")
            part = f"schema:{branch}"
        if self._valid_body(part, body):
            return []
        # The same body comes again and again (every bot start syncs the same commands, whose
        # schema is the costliest to walk); its problems do not change.
        key = (part, json.dumps(body.value, sort_keys=True))
        if key in self._seen:
            self._seen.move_to_end(key)
            return list(self._seen[key])
        problems = self._body_problems(part, body.value)
        self._seen[key] = tuple(problems)
        if len(self._seen) > SEEN_BODIES:
            self._seen.popitem(last=False)
        return problems

    def _valid_body(self, part: str, body: Body) -> bool:
        """Whether ``body`` surely validates against ``part``, remembered by the text it was
        read from: many readers are sent the very same answer, and the verdict is the same."""
        if body.source is None:
            return self._valid(part, body.value)
        key = (part, body.source)
        if key in self._valid_sources:
            self._valid_sources.move_to_end(key)
            return True
        if not self._valid(part, body.value):
            return False
        self._valid_sources[key] = None
        if len(self._valid_sources) > VALID_BODIES:
            self._valid_sources.popitem(last=False)
        return True

    def _body_problems(self, part: str, value: JSON) -> list[Problem]:
        problems = []
        for error in self._validator(part).iter_errors(value):
            for leaf in _leaves(error):
                path = tuple(leaf.absolute_path)
                if leaf.validator == "required":
                    problems += [
                        Problem("body", (*path, name), "required", None, None, "is required")
                        for name in _missing(leaf)
                    ]
                    continue
                problems.append(
                    Problem(
                        "body",
                        path,
                        str(leaf.validator),
                        leaf.validator_value,
                        leaf.instance,
                        _explain(leaf),
                    )
                )
        return _unique(problems)

    def _valid(self, part: str, value: JSON) -> bool:
        """Whether ``value`` surely validates, by the compiled check (False: ask `jsonschema`)."""
        if part not in self._verdicts:
            self._verdicts[part] = self.document.verdict(self.schema(part))
        verdict = self._verdicts[part]
        return verdict is not None and verdict(value)

    def _validator(self, part: str) -> Validator:
        validator = self._validators.get(part)
        if validator is None:
            validator = self._validators[part] = self.document.validator(self.schema(part))
        return validator

    def schema(self, part: str) -> JSON:
        """The schema ``part`` (``path``, ``query``, ``body:<media type>``, ``schema:<name>``)
        is validated against."""
        if part.startswith("schema:"):
            return self.document.ref(f"/components/schemas/{part.removeprefix('schema:')}")
        if part.startswith("body:"):
            content = f"{self._pointer}/requestBody/content/{_escape(part[5:])}"
            return self.document.ref(f"{content}/schema")
        declared = [p for p in self.parameters() if p.location == part]
        schema = {
            "type": "object",
            "properties": {p.name: self.document.ref(p.pointer) for p in declared},
            "required": [p.name for p in declared if p.required],
        }
        if not schema["required"]:
            # Draft 4 wants at least one name in ``required``.
            del schema["required"]
        return schema


class Document:
    """A platform's OpenAPI document: its operations, found by method and concrete path.

    ``lenience`` widens the schemas at some JSON pointers (each function gets the schema and
    returns the new one) where the platform reads more than its document says; whoever passes
    one says where the platform documents it.
    """

    def __init__(
        self,
        name: str,
        contents: JSON,
        *,
        base_path: str,
        true_words: Iterable[str] = ("true",),
        false_words: Iterable[str] = ("false",),
        lenience: Mapping[str, Callable[[JSON], JSON]] | None = None,
    ) -> None:
        self.name = name
        self.contents = contents
        self.base_path = base_path
        self.version = str(contents["openapi"])
        self.true_words = frozenset(true_words)
        self.false_words = frozenset(false_words)
        for pointer, widen in (lenience or {}).items():
            parent, _, key = pointer.rpartition("/")
            node, field_name = self.at(parent), key.replace("~1", "/").replace("~0", "~")
            node[field_name] = widen(node[field_name])
        # An identifier for ``$ref`` resolution only: the registry retrieves nothing.
        self.uri = f"https://openapi.invalid/{name}.json"
        if self.version.startswith("3.0"):
            specification, self._validator_class = DRAFT4, OpenAPI30Validator
        else:
            specification, self._validator_class = DRAFT202012, Draft202012Validator
        resource: Resource[Any] = specification.create_resource(contents)
        self.registry: Registry[Any] = Registry().with_resource(self.uri, resource)
        self._routes: dict[int, list[tuple[int, re.Pattern[str], str, tuple[str, ...]]]] = {}
        for template in contents["paths"]:
            pattern = re.compile(
                "".join(
                    "([^/]+)" if part.startswith("{") else re.escape(part)
                    for part in re.split(r"(\{[^}]+\})", template)
                )
            )
            literal = len(re.sub(r"\{[^}]+\}", "", template))
            names = tuple(re.findall(r"\{([^}]+)\}", template))
            self._routes.setdefault(template.count("/"), []).append(
                (literal, pattern, template, names)
            )
        for candidates in self._routes.values():
            # A literal segment wins over a template one (``@original`` over ``{message_id}``).
            candidates.sort(key=lambda c: -c[0])
        self._operations: dict[tuple[str, str], Operation] = {}

    @classmethod
    def packaged(cls, package: str, name: str, **options: Any) -> Document:
        """The document in ``package``'s ``spec/openapi.json``."""
        text = resources.files(package).joinpath("spec", "openapi.json").read_text("utf-8")
        return cls(name, json.loads(text), **options)

    def find(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | Refusal:
        """The operation for ``method`` on ``path`` and its path parameters, or why none."""
        relative = path.removeprefix(self.base_path)
        if not path.startswith(self.base_path) or not relative.startswith("/"):
            return Refusal("no-route", method, path)
        for _, pattern, template, names in self._routes.get(relative.count("/"), []):
            match = pattern.fullmatch(relative)
            if match is None:
                continue
            params = dict(zip(names, match.groups(), strict=True))
            operation = self.operation(method, template)
            if operation is None:
                return Refusal("no-method", method, relative, template)
            return operation, params
        return Refusal("no-route", method, relative)

    def operation(self, method: str, template: str) -> Operation | None:
        """The operation ``method`` on ``template``, if the document has it."""
        key = (method.lower(), template)
        found = self._operations.get(key)
        if found is None:
            spec = self.contents["paths"].get(template, {}).get(key[0])
            if spec is None or key[0] not in METHODS:
                return None
            pointer = f"/paths/{_escape(template)}/{key[0]}"
            found = self._operations[key] = Operation(self, key[0].upper(), template, pointer, spec)
        return found

    # -- schemas -----------------------------------------------------------------------

    def at(self, pointer: str) -> JSON:
        """The value at a JSON pointer (``/components/schemas/X``)."""
        node = self.contents
        for part in pointer.lstrip("/").split("/") if pointer.strip("/") else []:
            key = part.replace("~1", "/").replace("~0", "~")
            node = node[int(key)] if isinstance(node, list) else node[key]
        return node

    def ref(self, pointer: str) -> JSON:
        """A schema that refers to the one at ``pointer``, resolvable anywhere."""
        return {"$ref": f"{self.uri}#{pointer}"}

    def follow(self, schema: JSON) -> JSON:
        """``schema`` with its ``$ref`` chain followed."""
        while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
            schema = self._resolve(schema["$ref"])
        return schema if isinstance(schema, dict) else {}

    def types(self, schema: JSON) -> frozenset[str]:
        """Every JSON type ``schema`` admits, through refs and ``oneOf``/``anyOf``/``allOf``."""
        schema = self.follow(schema)
        declared = schema.get("type")
        found = set([declared] if isinstance(declared, str) else declared or [])
        for keyword in ("oneOf", "anyOf", "allOf"):
            for branch in schema.get(keyword, []):
                found |= self.types(branch)
        return frozenset(found)

    def scalar(self, text: str, types: frozenset[str]) -> Any:
        """A parameter's text as the JSON value its schema's types call for (else as it is)."""
        if "string" in types or not types:
            return text
        if "integer" in types and re.fullmatch(r"-?[0-9]+", text):
            return int(text)
        if "number" in types and re.fullmatch(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?", text):
            return float(text)
        if "boolean" in types and text in self.true_words | self.false_words:
            return text in self.true_words
        return text

    def validator(self, schema: JSON) -> Validator:
        """A validator for ``schema``, whose refs resolve against this document."""
        made: Validator = self._validator_class(schema, registry=self.registry)
        return made

    def verdict(self, schema: JSON) -> Verdict | None:
        """A compiled yes/no check of ``schema`` that never accepts what `validator` refuses,
        or None where there is none (see `bot.sandbox._fastschema`)."""
        return compile_verdict(schema, self._resolve, openapi30=self.version.startswith("3.0"))

    def _resolve(self, ref: str) -> JSON:
        """The schema a ``$ref`` in this document (or in a schema built on it) names."""
        base, _, fragment = ref.partition("#")
        if base not in ("", self.uri):
            raise Unsupported(f"a reference outside the document: {ref}")
        return self.at(unquote(fragment))


@dataclass
class SpecCheck:
    """The aiohttp middleware that checks every request against a `Document`.

    ``exempt`` maps path prefixes that are the emulator's own and not the platform's API
    (its gateway socket, its file downloads) to why; ``read_body`` reads a request's body the
    way the platform does; ``refuse`` answers a refused request as the platform would;
    ``union`` picks the schema of a body whose schema is a union (see `Operation.check`).
    """

    document: Document
    violations: Violations
    read_body: Callable[[web.Request], Awaitable[Body]]
    refuse: Callable[[web.Request, Refusal], web.StreamResponse]
    exempt: Mapping[str, str] = field(default_factory=dict)
    union: Callable[[Operation, Mapping[str, str]], str | None] = lambda operation, params: None
    checked: int = 0
    """How many requests were validated (exempt ones are not counted)."""
    refused: int = 0

    @web.middleware
    async def middleware(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        """Pass a request that validates to ``handler``; refuse and record any other."""
        if request.path.startswith(tuple(self.exempt)):
            return await handler(request)
        self.checked += 1
        refusal = await self.check(request)
        if refusal is None:
            return await handler(request)
        self.refused += 1
        self.violations.record("spec", request.method, request.path, refusal.detail())
        return self.refuse(request, refusal)

    async def check(self, request: web.Request) -> Refusal | None:
        """Why the document refuses ``request``, or None when it validates."""
        found = self.document.find(request.method, request.path)
        if isinstance(found, Refusal):
            return found
        operation, params = found
        method, template = operation.method, operation.template
        relative = request.path.removeprefix(self.document.base_path)
        try:
            body = await self.read_body(request)
        except UnreadableBody as exc:
            return Refusal("unreadable", method, relative, template, note=str(exc))
        accepted = operation.media_types()
        if body.present and accepted and body.media_type not in accepted:
            note = f"Content-Type {body.media_type or '(none)'} is not one of {', '.join(accepted)}"
            return Refusal("content-type", method, relative, template, note=note)
        branch = self.union(operation, params) if body.present else None
        problems = operation.check(params, request.query, body, branch)
        if not problems:
            return None
        return Refusal("invalid", method, relative, template, tuple(problems))


def _all_values(given: Any, name: str) -> list[str]:
    if hasattr(given, "getall"):
        return [str(v) for v in given.getall(name, [])]
    value = given.get(name)
    return [] if value is None else [str(value)]


def _leaves(error: ValidationError) -> list[ValidationError]:
    """The error itself or, for ``oneOf``/``anyOf``, the errors of the branch the value was
    most likely meant for: not one whose type or discriminating ``type`` field it misses."""
    if not error.context:
        return [error]
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    if len(branches) == len(error.context) and not any(s.relative_path for s in error.context):
        # Each branch refused the value for one reason of one kind: name them all, not the
        # first ("one of users, roles, everyone"; "of type string or null").
        kinds = {sub.validator for sub in error.context}
        if kinds == {"const"}:
            values = [sub.validator_value for sub in error.context]
            return [_summary(error, "enum", values)]
        if kinds == {"type"}:
            types = [t for sub in error.context for t in _listed(sub.validator_value)]
            return [_summary(error, "type", list(dict.fromkeys(types)))]
    meant = min(branches.values(), key=lambda errors: (_mismatch(errors), len(errors)))
    return [leaf for sub in meant for leaf in _leaves(sub)]


def _summary(error: ValidationError, keyword: str, allowed: list[Any]) -> ValidationError:
    return ValidationError(
        error.message,
        validator=keyword,
        validator_value=allowed,
        instance=error.instance,
        path=error.absolute_path,
    )


def _listed(types: Any) -> list[Any]:
    return [types] if isinstance(types, str) else list(types)


def _mismatch(errors: list[ValidationError]) -> bool:
    """Whether these errors say the value is of another kind than the branch describes."""
    for error in errors:
        where = list(error.relative_path)
        if error.validator in ("type", "enum", "const") and where in ([], ["type"]):
            return True
    return False


def _missing(error: ValidationError) -> list[str]:
    instance = error.instance if isinstance(error.instance, dict) else {}
    required = error.validator_value if isinstance(error.validator_value, list) else []
    return [str(name) for name in required if name not in instance]


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[Any, ...]] = set()
    kept = []
    for problem in problems:
        key = (problem.location, problem.field, problem.keyword)
        if key not in seen:
            seen.add(key)
            kept.append(problem)
    return kept


def _escape(template: str) -> str:
    return template.replace("~", "~0").replace("/", "~1")


def _dotted(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _explain(error: ValidationError) -> str:
    """What is wrong with the value, in a few words (jsonschema's message repeats it whole)."""
    keyword, limit, value = str(error.validator), error.validator_value, error.instance
    size = len(value) if isinstance(value, str | list | dict) else 0
    more = "more" if keyword.startswith("max") else "fewer"
    if keyword in ("maxLength", "minLength"):
        return f"is {size} characters long, {more} than {limit}"
    if keyword in ("maxItems", "minItems", "maxProperties", "minProperties"):
        noun = "items" if keyword.endswith("Items") else "keys"
        return f"has {size} {noun}, {more} than {limit}"
    if keyword == "type":
        return f"{_brief(value)} is not of type {_either(limit)}"
    if keyword == "pattern":
        return f"{_brief(value)} does not match {limit}"
    if keyword == "enum":
        return f"{_brief(value)} is not one of {limit}"
    if keyword == "maximum":
        return f"{_brief(value)} is more than {limit}"
    if keyword == "minimum":
        return f"{_brief(value)} is less than {limit}"
    return _brief(error.message, 200)


def _either(types: Any) -> str:
    return " or ".join(_listed(types))


def _brief(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) and limit > 60 else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
