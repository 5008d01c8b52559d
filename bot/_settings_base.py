"""What every settings section shares: a frozen model refusing unknown keys and reading a
choice in any case, and the checks of a path and of an API's address."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import AnyUrl, BaseModel, ConfigDict, model_validator

from bot._settings_plain import as_spelled_in


class Section(BaseModel):
    # No setting means "forever": `stop_grace = inf` would keep a stop waiting on a publish
    # for good, and `nan` compares false with every bound.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _choices_in_any_case(cls, data: Any) -> Any:
        # Operators write `debug` as often as `DEBUG` (Python's logging's name), `JSON` as often
        # as `json`: a choice in another case is the one it spells, as the plain reading has it.
        if not isinstance(data, dict):
            return data
        spelled = dict(data)
        for name, value in data.items():
            field = cls.model_fields.get(name)
            if (
                field is not None
                and isinstance(value, str)
                and get_origin(field.annotation) is Literal
            ):
                spelled[name] = as_spelled_in(get_args(field.annotation), value)
        return spelled


def usable_path(value: Any) -> Any:
    """A path that names something: not empty (which would mean the current folder), no NUL."""
    if isinstance(value, str | Path):
        text = str(value) if isinstance(value, Path) else value
        if not text.strip():
            raise ValueError("is empty: give a file or folder name")
        if "\0" in text:
            raise ValueError("contains a NUL character, which no file name can hold")
    return value


def endpoint(url: AnyUrl, schemes: tuple[str, ...]) -> AnyUrl:
    """An API's address: one of `schemes`, without a user, password, query or fragment (the
    keys go in headers; the paths are appended to it)."""
    if url.scheme not in schemes:
        raise ValueError(f"must start with {' or '.join(s + '://' for s in schemes)}")
    if url.username or url.password:
        raise ValueError("must not hold a user or password: newsbot's keys go in headers")
    if url.query or url.fragment:
        raise ValueError("must not have a ?query or #fragment: newsbot appends paths to it")
    return url
