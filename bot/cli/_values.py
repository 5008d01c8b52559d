"""The command line's values turned into their types without loading pydantic.

typer checks every value with a pydantic `TypeAdapter`, whose import and build take a good
part of a command's start. newsbot's commands take text, paths, whole numbers in a range, flags
and fixed choices: a value of one of those that is plainly valid is taken here, as typer would
take it; anything else goes to typer's own check, so every refusal and its message stay typer's.
This leans on typer's coercion internals: `bot.cli` does without it when they are not there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from typer._coercion import RuntimeParam, build_runtime_param
from typer._param_types import coerce_cli_path
from typer.core import TyperArgument, TyperOption

_WHOLE_NUMBER = re.compile(r"0|[1-9][0-9]{0,17}")
"""Digits pydantic reads as the same int (no sign, space, underscore or leading zero)."""

_UNSURE = object()


@dataclass(frozen=True)
class PlainValues(RuntimeParam):
    """One parameter's coercion: plainly valid values taken here, the rest left to typer."""

    def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
        kind: Any = self.annotation
        if get_origin(kind) is list:
            if isinstance(value, list | tuple):
                items = [self._one(get_args(kind)[0], v, param, ctx) for v in value]
                if _UNSURE not in items:
                    return items
        else:
            taken = self._one(kind, value, param, ctx)
            if taken is not _UNSURE:
                return taken
        typers = build_runtime_param(param.type_descriptor)
        return typers._coerce_value(value, param=param, ctx=ctx)

    def _one(self, kind: Any, value: Any, param: Any, ctx: Any) -> Any:
        info = self.parameter_info
        if kind is bool:
            return value if type(value) is bool else _UNSURE
        if kind is str:
            return value if type(value) is str and _unicode(value) else _UNSURE
        if kind is int:
            if type(value) is str and _WHOLE_NUMBER.fullmatch(value):
                value = int(value)
            if type(value) is not int:
                return _UNSURE
            low, high = info.min, info.max
            inside = (low is None or value >= low) and (high is None or value <= high)
            return value if inside else _UNSURE
        if get_origin(kind) is Literal:
            normalised = ctx is not None and ctx.token_normalize_func is not None
            chosen = type(value) is str and value in get_args(kind) and info.case_sensitive
            return value if chosen and not normalised else _UNSURE
        if kind is Path and type(value) is str and _unicode(value):
            # Path(text) is what pydantic makes of text; typer's path checks still run.
            return coerce_cli_path(Path(value), info, path_type=Path, param=param, ctx=ctx)
        return _UNSURE


def _unicode(text: str) -> bool:
    """Whether `text` is valid Unicode (an argument's undecodable bytes are not)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _plain_kind(annotation: Any) -> bool:
    if get_origin(annotation) is list:
        return _plain_kind(get_args(annotation)[0])
    if get_origin(annotation) is Literal:
        return all(type(choice) is str for choice in get_args(annotation))
    return annotation in (str, int, bool, Path)


def take_plain_values(params: list[Any]) -> None:
    """Let `params` take plainly valid values without pydantic (see the module)."""
    for param in params:
        if not isinstance(param, TyperOption | TyperArgument):
            continue
        info = param.type_descriptor.parameter_info
        if (
            getattr(param, "_runtime_param", False) is not None
            or param.type_descriptor.file_annotation is not None
            or info.parser is not None
            or info.clamp
            or info.path_type is not None
            or info.resolve_path
            or info.allow_dash
            or not _plain_kind(param.type_descriptor.annotation)
        ):
            continue
        param._runtime_param = PlainValues(
            parameter_info=info, annotation=param.type_descriptor.annotation
        )
