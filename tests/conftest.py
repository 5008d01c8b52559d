"""Shared fixtures: the project's paths, its sample issue, and a real archive file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from bot.archive import Archive
from bot.issuefiles import load_issue
from bot.models import Issue

ROOT = Path(__file__).resolve().parents[1]
ISSUES = ROOT / "issues"

settings.register_profile(
    "ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=60, deadline=None)
settings.load_profile("ci")


@pytest.fixture
def issue_202() -> Issue:
    """The bundled sample issue, loaded from issues/202.md."""
    return load_issue(ISSUES / "202.md")


@pytest.fixture
async def archive(tmp_path: Path) -> AsyncIterator[Archive]:
    """An empty archive in a real SQLite file."""
    opened = await Archive.open(tmp_path / "archive.db")
    try:
        yield opened
    finally:
        await opened.close()
