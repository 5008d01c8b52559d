"""What an emulator refused because the real platform would refuse it, kept for the tests.

Every emulator holds a `Violations` as ``emulator.violations``. A request that breaks the
platform's published API description (kind ``"spec"``) or one of its documented rules that the
description does not encode (kind ``"rule"``) is answered with the platform's own error and
recorded here, so a test that caused it fails even when newsbot handled the error gracefully.
A test that sends a bad request on purpose takes what it expected with `take()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

ViolationKind = Literal["spec", "rule"]


@dataclass(frozen=True)
class Violation:
    """One refused request: what broke, on which route, and why, as the platform would say."""

    kind: ViolationKind
    method: str
    path: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.method} {self.path}: {self.detail}"


class Violations:
    """The violations one emulator has recorded since it started (or since the last `take`)."""

    def __init__(self) -> None:
        self._seen: list[Violation] = []

    def record(self, kind: ViolationKind, method: str, path: str, detail: str) -> Violation:
        """Keep one violation and return it."""
        violation = Violation(kind, method, path, detail)
        self._seen.append(violation)
        return violation

    def take(self) -> list[Violation]:
        """Return every violation recorded so far and forget them."""
        taken, self._seen = self._seen, []
        return taken

    def __iter__(self) -> Iterator[Violation]:
        return iter(list(self._seen))

    def __len__(self) -> int:
        return len(self._seen)

    def __bool__(self) -> bool:
        return bool(self._seen)
