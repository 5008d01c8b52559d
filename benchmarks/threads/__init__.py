"""What the thread benchmarks (X, Mastodon, Bluesky) share: the synthetic 40-item issue, the
printing of what a thread condensed, and the report of the targets."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.models import Issue, Item, Section

Checks = Mapping[str, tuple[str, bool]]
"""Each target: its figure as printed, and whether it is met."""


def synthetic() -> Issue:
    """40 linked items in 5 sections, blurbs of one or two sentences."""
    sections = tuple(
        Section.model_validate(
            {
                "name": f"Section {s}",
                "items": [
                    Item(
                        title=f"Item {s}.{n}: a study of sparse attention at scale",
                        link=f"https://news.example.com/{s}/{n}",
                        blurb="Researchers show a simple change that halves training cost. "
                        * (1 + n % 2),
                    )
                    for n in range(8)
                ],
            }
        )
        for s in range(5)
    )
    return Issue(
        number=999,
        title="Synthetic Weekly: Issue #999",
        link="https://news.example.com/issues/999",
        intro="Forty items this week.",
        sections=sections,
    )


def show_notes(notes: Iterable[str]) -> None:
    """Print what a thread condensed, one line each, under its summary line."""
    for note in notes:
        print(f"{'':22}- {note}")


def report(checks: Checks) -> int:
    """Print each target and whether it is met, then the verdict: 1 if one is missed, else 0."""
    show_targets(checks)
    return verdict(checks)


def show_targets(checks: Checks) -> None:
    """Print each target and whether it is met."""
    for what, (figure, met) in checks.items():
        print(f"  {what}: {figure} — {'met' if met else 'NOT MET'}")


def verdict(checks: Checks) -> int:
    """Print which targets are missed; 1 if one is, else 0."""
    missed = [what for what, (_, met) in checks.items() if not met]
    if missed:
        print(f"{len(missed)} target(s) missed: {'; '.join(missed)}")
        return 1
    print("every target met")
    return 0
