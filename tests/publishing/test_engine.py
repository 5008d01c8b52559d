"""The engine's contract with an outlet, through a small outlet defined here: a notebook that
keeps posts in memory. It is what a new outlet (Mastodon, Bluesky) would be: a plan, and the
platform's calls; the ledger, retries, recovery, fallbacks, the cap and alerts are the engine's.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pytest

from bot.models import Issue, OutboxEntry, StepState
from bot.publishing.engine import Engine
from bot.publishing.outlet import (
    Destination,
    MaybeMade,
    Outcome,
    Refused,
    Remote,
    StepError,
)
from bot.publishing.steps import Payload, Step
from bot.render.publish import Post
from bot.store import Archive

OUTLET = "notebook"


@dataclass(frozen=True)
class Page:
    """The notebook's one target."""

    name: str = "page"


@dataclass
class Notebook:
    """An outlet whose platform is a dict: each section of an issue is a note on the page."""

    name: str = OUTLET
    title: str = "Notebook"
    edits: bool = True
    outcomes: tuple[Outcome, ...] = (Outcome.POSTED, Outcome.RECOVERED, Outcome.UNCHANGED)
    daily_cap: int | None = None
    nowhere: str = "no page"
    notes: dict[int, tuple[str, str]] = field(default_factory=dict)
    """What the platform holds: id → (kind, text)."""
    creates: int = 0
    stop_after_making: int | None = None
    """Stop the process (cancel) just after the platform made the n-th note."""
    fail_after_making: int | None = None
    """Answer a passing failure just after the platform made the n-th note."""
    refuse: str | None = None
    """A kind of note the platform refuses (the engine should make it as a `plain` one)."""

    async def targets(self) -> list[Page]:
        return [Page()]

    async def resolve(self, target: Page) -> Page:
        return target

    def plan(
        self,
        issue: Issue,
        target: Page,
        ledger: Mapping[str, OutboxEntry],
        thanks: Mapping[str, Post],
    ) -> Sequence[Step[Page]]:
        return [
            Step(
                key=f"{issue.number}/{OUTLET}/{target.name}/{n}",
                issue_number=issue.number,
                target=target,
                action="boxed",
                build=functools.partial(_boxed, section.name),
            )
            for n, section in enumerate(issue.sections, start=1)
        ]

    async def create(self, step: Step[Page], payload: Payload, ids: Mapping[str, int]) -> Remote:
        if step.action == self.refuse:
            raise Refused(f"the notebook refuses {step.action} notes", instead="plain")
        self.creates += 1
        made = len(self.notes) + 1
        self.notes[made] = (step.action, payload["text"])
        if self.creates == self.stop_after_making:
            raise asyncio.CancelledError  # the process stops before the answer is recorded
        if self.creates == self.fail_after_making:
            raise StepError("the notebook answered 503", transient=True)
        return Remote(made)

    async def recover(
        self,
        step: Step[Page],
        payload: Payload,
        ids: Mapping[str, int],
        *,
        since: dt.datetime | None = None,
    ) -> Remote | None:
        found = [n for n, (_, text) in self.notes.items() if text == payload["text"]]
        return Remote(found[0]) if found else None

    async def edit(self, step: Step[Page], payload: Payload, entry: OutboxEntry) -> None:
        self.notes[int(entry.remote_id or 0)] = (step.action, payload["text"])

    async def remove(self, entry: OutboxEntry) -> bool:
        return self.notes.pop(int(entry.remote_id or 0), None) is not None

    def where(self, target: Page) -> str:
        return target.name

    def mention(self, target: Page) -> str:
        return f"on the {target.name}"

    def note(self, step: Step[Page]) -> str | None:
        return "plain notes" if step.action == "plain" else None


class Told:
    """What the engine told the editors."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    async def tell(
        self, text: str, target: Destination | None = None, *, logged: bool = False
    ) -> None:
        self.messages.append(text)


@pytest.fixture
async def stored(archive: Archive, issue_202: Issue) -> Archive:
    await archive.issues.ingest(issue_202)
    return archive


def texts(notebook: Notebook) -> list[str]:
    return [text for _, text in notebook.notes.values()]


async def test_a_new_outlet_needs_only_its_plan_and_its_calls(
    stored: Archive, issue_202: Issue
) -> None:
    notebook = Notebook()
    engine = Engine(stored, retry_delay=0)
    report = await engine.publish(issue_202, notebook)
    assert report.ok and report.count(Outcome.POSTED) == len(issue_202.sections)
    assert texts(notebook) == [s.name for s in issue_202.sections]
    ledger = await stored.ledger.entries(202, OUTLET, "page")
    assert {e.state for e in ledger.values()} == {StepState.SENT}
    again = await engine.publish(issue_202, notebook)
    assert again.count(Outcome.UNCHANGED) == len(issue_202.sections)
    assert notebook.creates == len(issue_202.sections), "nothing made twice"


async def test_a_stop_after_the_platform_made_a_step_is_recovered_not_repeated(
    stored: Archive, issue_202: Issue
) -> None:
    notebook = Notebook(stop_after_making=2)
    with pytest.raises(asyncio.CancelledError):
        await Engine(stored, retry_delay=0).publish(issue_202, notebook)
    ledger = await stored.ledger.entries(202, OUTLET, "page")
    assert [e.state for e in ledger.values()][:3] == [
        StepState.SENT,
        StepState.SENDING,
        StepState.PENDING,
    ]
    report = await Engine(stored, retry_delay=0).publish(issue_202, notebook)
    assert report.ok and report.count(Outcome.RECOVERED) == 1
    assert texts(notebook) == [s.name for s in issue_202.sections], "each note once"


async def test_a_passing_failure_that_reached_the_platform_is_looked_for_before_a_retry(
    stored: Archive, issue_202: Issue
) -> None:
    # A 5xx or a timeout may come after the platform made the step: the retry looks first.
    notebook = Notebook(fail_after_making=1)
    report = await Engine(stored, retry_delay=0).publish(issue_202, notebook)
    assert report.ok and report.count(Outcome.RECOVERED) == 1
    assert texts(notebook) == [s.name for s in issue_202.sections], "each note once"


async def test_a_refused_kind_of_step_goes_on_the_other_way_and_the_editors_are_told(
    stored: Archive, issue_202: Issue
) -> None:
    notebook = Notebook(refuse="boxed")
    told = Told()
    report = await Engine(stored, retry_delay=0, alerts=told).publish(issue_202, notebook)
    (page,) = report.targets
    assert report.ok and page.notes == ["plain notes"]
    assert {kind for kind, _ in notebook.notes.values()} == {"plain"}
    assert told.messages == ["Notebook: the notebook refuses boxed notes"], "told once"


async def test_a_daily_cap_leaves_the_rest_for_a_later_publish(
    stored: Archive, issue_202: Issue
) -> None:
    notebook = Notebook(daily_cap=2)
    report = await Engine(stored, retry_delay=0).publish(issue_202, notebook)
    (page,) = report.targets
    assert not report.ok and page.deferred == len(issue_202.sections) - 2
    assert "left for the next publish (Notebook's daily cap)" in page.summary()
    assert len(notebook.notes) == 2
    # The ledger counts this outlet's own posts of the day: publishing again makes none.
    again = await Engine(stored, retry_delay=0).publish(issue_202, notebook)
    (page,) = again.targets
    assert not again.ok and page.deferred == len(issue_202.sections) - 2
    assert len(notebook.notes) == 2


async def test_a_failure_that_is_not_passing_stops_the_target_and_alerts(
    stored: Archive, issue_202: Issue
) -> None:
    class Broken(Notebook):
        async def create(
            self, step: Step[Page], payload: Payload, ids: Mapping[str, int]
        ) -> Remote:
            raise MaybeMade("the notebook says it has this note already")

    told = Told()
    report = await Engine(stored, retry_delay=0, alerts=told).publish(issue_202, Broken())
    (page,) = report.targets
    assert page.error == "the notebook says it has this note already"
    assert told.messages == [
        "I could not publish issue #202 on the page: the notebook says it has this note "
        "already. Nothing else is affected; I will try again at the next publish unless none "
        "of it went out there and a newer issue is due by then, and say so again only if it "
        "fails otherwise."
    ]
    ledger = await stored.ledger.entries(202, OUTLET, "page")
    first = next(iter(ledger.values()))
    assert first.state == StepState.FAILED and first.attempts == 1


class Unsure(Notebook):
    """A notebook whose first note is made and then fails in a way that is no refusal (given
    up on, `transient` unset: its answer was cut off), or, `refused_lookups`, a transient
    failure after which the notebook refuses that many lookups."""

    def __init__(self, *, refused_lookups: int = 0) -> None:
        super().__init__()
        self.refused_lookups = refused_lookups
        self.lookups = 0

    async def create(self, step: Step[Page], payload: Payload, ids: Mapping[str, int]) -> Remote:
        made = await super().create(step, payload, ids)
        if self.creates == 1:
            raise StepError("gave up on the notebook", transient=self.refused_lookups > 0)
        return made

    async def recover(
        self,
        step: Step[Page],
        payload: Payload,
        ids: Mapping[str, int],
        *,
        since: dt.datetime | None = None,
    ) -> Remote | None:
        self.lookups += 1
        if self.lookups <= self.refused_lookups:
            raise StepError("the notebook refused the lookup", made_nothing=True)
        return await super().recover(step, payload, ids)


@pytest.mark.parametrize("refused_lookups", [0, 1], ids=["given up", "lookup refused"])
async def test_a_failure_the_outlet_does_not_call_a_refusal_is_looked_for_next_time(
    stored: Archive, issue_202: Issue, refused_lookups: int
) -> None:
    # Only the outlet knows the platform refused a call (`made_nothing`): any other failure of
    # the making, or a lookup refused after one, may have left the step made, and the next
    # publish looks for it before making it.
    notebook = Unsure(refused_lookups=refused_lookups)
    first = await Engine(stored, retries=1, retry_delay=0).publish(issue_202, notebook)
    assert not first.ok and len(notebook.notes) == 1
    ledger = await stored.ledger.entries(202, OUTLET, "page")
    assert next(iter(ledger.values())).attempts == 1
    again = await Engine(stored, retry_delay=0).publish(issue_202, notebook)
    assert again.ok and again.count(Outcome.RECOVERED) == 1
    assert texts(notebook) == [s.name for s in issue_202.sections], "each note once"


async def test_a_refusal_the_outlet_says_made_nothing_is_no_attempt(
    stored: Archive, issue_202: Issue
) -> None:
    class Refusing(Notebook):
        async def create(
            self, step: Step[Page], payload: Payload, ids: Mapping[str, int]
        ) -> Remote:
            raise StepError("the notebook refused it (403)", made_nothing=True)

    report = await Engine(stored, retry_delay=0).publish(issue_202, Refusing())
    assert report.targets[0].error == "the notebook refused it (403)"
    ledger = await stored.ledger.entries(202, OUTLET, "page")
    first = next(iter(ledger.values()))
    assert first.state == StepState.FAILED and first.attempts == 0


def _boxed(text: str, _: Mapping[str, int]) -> Payload:
    """A step's payload: the section's name, whatever the ids made before it."""
    return {"text": text}


async def test_a_process_publishing_for_months_keeps_no_lock_per_target(
    stored: Archive, issue_202: Issue
) -> None:
    # The lock keeping two publishes of an issue to a target apart was kept for good: one for
    # every issue, outlet and target ever published to, 10,000 after 50 issues to 200 channels.
    pages = [Page(f"page {n}") for n in range(200)]

    class Pages(Notebook):
        async def targets(self) -> list[Page]:
            return pages

    notebook = Pages()
    engine = Engine(stored, retry_delay=0)
    # Two publishes at once still post each note once (the second waits on the first's locks).
    first, second = await asyncio.gather(
        engine.publish(issue_202, notebook), engine.publish(issue_202, notebook)
    )
    assert first.ok and second.ok
    assert notebook.creates == len(issue_202.sections) * len(pages), "each note once"
    assert len(engine._locks) == 0, "no lock kept once the publishes are done"


async def test_a_target_failing_unexpectedly_is_raised_once_the_others_have_ended(
    stored: Archive, issue_202: Issue
) -> None:
    """The archive fails under one target's publish while another is sending: the error is
    raised only once that one has ended, so that none goes on publishing unawaited beside the
    publish tried again, or after the publish gave up."""
    sending = asyncio.Event()
    failing = asyncio.Event()
    release = asyncio.Event()

    class Pages(Notebook):
        async def targets(self) -> list[Page]:
            return [Page("sending"), Page("failing")]

        async def resolve(self, target: Page) -> Page:
            if target.name == "failing":
                await sending.wait()
                failing.set()
                raise RuntimeError("the archive failed under the publish")
            return target

        async def create(
            self, step: Step[Page], payload: Payload, ids: Mapping[str, int]
        ) -> Remote:
            sending.set()
            await release.wait()
            return await super().create(step, payload, ids)

    notebook = Pages()
    publish = asyncio.create_task(Engine(stored, retry_delay=0).publish(issue_202, notebook))
    await failing.wait()
    release.set()
    with pytest.raises(RuntimeError, match="the archive failed"):
        await publish
    assert notebook.creates == len(issue_202.sections), "the other target had ended"
    ledger = await stored.ledger.entries(202, OUTLET, "sending")
    assert {e.state for e in ledger.values()} == {StepState.SENT}
