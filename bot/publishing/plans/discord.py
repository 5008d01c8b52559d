"""Publishing an issue to Discord channels as steps with stable keys: what to post where, and
in which order.

Pure: no I/O and no platform library. `plan(issue, targets)` gives the same steps for the same
issue and targets; a step's payload is built when it runs, from the ids the earlier steps it
refers to were given (the digest links to the threads created before it).
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from bot.models import Issue, slugify
from bot.publishing.steps import Payload, Step
from bot.render.publish import (
    Post,
    SectionThread,
    digest,
    digest_post_name,
    section_threads,
)

OUTLET = "discord"
ChannelKind = Literal["text", "announcement", "forum"]
CHANNEL_KINDS: tuple[ChannelKind, ...] = ("text", "announcement", "forum")
AUTO_ARCHIVE_MINUTES = 10080
"""Threads stay open for a week, until the next issue."""
ANNOUNCEMENT_THREAD = 10
PUBLIC_THREAD = 11
NONCE_MAX = 25


class Action(enum.StrEnum):
    """What a step does on Discord."""

    THREAD = "thread"
    """Start a thread with no starter message in a text or announcement channel."""
    MESSAGE = "message"
    """Post a message in the channel, or in the thread of the step it belongs to."""
    POST = "post"
    """Create a forum post: a thread with its first message."""
    CROSSPOST = "crosspost"
    """Publish an announcement-channel message to the servers that follow the channel."""


@dataclass(frozen=True)
class Target:
    """A Discord channel that receives each issue; `kind` None means "ask Discord"."""

    guild_id: int
    channel_id: int
    kind: ChannelKind | None = None
    role_id: int | None = None
    sections: tuple[str, ...] = ()
    alerts_channel_id: int | None = None

    @property
    def name(self) -> str:
        """The target as the ledger names it: the channel's id."""
        return str(self.channel_id)


def step_nonce(key: str) -> str:
    """A nonce derived from a step key: its SHA-256 in hex, cut to Discord's 25 characters.

    Discord's idempotency key for a step: the same on every run."""
    return hashlib.sha256(key.encode()).hexdigest()[:NONCE_MAX]


def step_key(issue_number: int, target: Target, *parts: str | int) -> str:
    """`202/discord/<channel_id>/thread/industry/message/1`."""
    return "/".join([str(issue_number), OUTLET, target.name, *(str(p) for p in parts)])


def plan(
    issue: Issue, targets: Sequence[Target], thanks: Mapping[str, Post] | None = None
) -> list[Step[Target]]:
    """Every step of publishing `issue` to `targets`, in the order they must run per target.

    Text and announcement channels: each section's thread and its messages first, then the
    digest linking to them (its ping lands when everything it links to exists), then — in
    announcement channels — the digest's crosspost. Forum channels: one post per section, then
    the digest as a post of its own. `thanks` adds, per section slug, a message at the end
    of that section's thread (thanking the readers who suggested its items).
    """
    steps: list[Step[Target]] = []
    for target in targets:
        if target.kind is None:
            raise ValueError(f"the kind of channel {target.channel_id} must be known to plan")
        threads = section_threads(issue, target.sections)
        if target.kind == "forum":
            target_steps = _forum_steps(issue, target, threads)
        else:
            target_steps = _channel_steps(issue, target, threads)
        steps += _with_thanks(issue, target, target_steps, thanks or {})
    return steps


def _with_thanks(
    issue: Issue, target: Target, steps: list[Step[Target]], thanks: Mapping[str, Post]
) -> list[Step[Target]]:
    """`steps` with a thank-you message after the last message of each thanked section."""
    result = list(steps)
    for slug, post in thanks.items():
        thread = step_key(issue.number, target, "thread", slug)
        last = max((n for n, s in enumerate(result) if thread in (s.key, s.parent)), default=None)
        if last is None:
            continue  # the section is not posted to this target
        thank_you = Step(
            key=f"{thread}/thanks",
            issue_number=issue.number,
            target=target,
            action=Action.MESSAGE,
            parent=thread,
            build=_constant(post.to_dict()),
        )
        result.insert(last + 1, thank_you)
    return result


def _constant(payload: Payload) -> Callable[[Mapping[str, int]], Payload]:
    return lambda _: payload


def _digest_builder(
    issue: Issue, target: Target, thread_keys: Mapping[str, str], *, forum: bool
) -> Callable[[Mapping[str, int]], Payload]:
    def build(ids: Mapping[str, int]) -> Payload:
        post = digest(
            issue,
            threads={slug: ids.get(key) for slug, key in thread_keys.items()},
            sections=target.sections,
            role_id=target.role_id,
        )
        if not forum:
            return post.to_dict()
        return {
            "name": digest_post_name(issue),
            "auto_archive_duration": AUTO_ARCHIVE_MINUTES,
            "tags": [],
            "message": post.to_dict(),
        }

    return build


def pinged_roles(payload: Payload) -> list[int]:
    """The roles a message's payload pings: those its `allowed_mentions` lets ping."""
    message = payload.get("message", payload)  # a forum's digest post holds its message
    return [int(role) for role in message.get("allowed_mentions", {}).get("roles", ())]


def _without_pings(payload: Payload) -> Payload:
    """A digest's payload that pings nobody: the one made again after a moderator deleted it,
    whose issue the role was notified of when it first went out."""
    if "message" in payload:  # a forum's digest post
        return {**payload, "message": _without_pings(payload["message"])}
    return {**payload, "allowed_mentions": {"parse": []}}


def thread_type(target: Target) -> int:
    """The type of thread Discord takes in the target's channel: an announcement channel's
    threads are announcement threads, a text channel's public ones (forum posts have none)."""
    return ANNOUNCEMENT_THREAD if target.kind == "announcement" else PUBLIC_THREAD


def _tag_names(thread: SectionThread) -> list[str]:
    """The names of the forum tag a section's post gets: its name's, and for a section renamed
    in place (`## Industry news {#industry}`) its slug's, the tag its old name had."""
    if thread.slug == slugify(thread.section_name):
        return [thread.section_name]
    return [thread.section_name, thread.slug]


DIGEST_TAGS = ("Digest", "Newsletter")
"""In a forum that requires a tag on every post, the digest's post (which no section names)
gets the first of these tags the forum has."""
SECTION_TAGS = ("Newsletter", "Digest")
"""In such a forum, so does a section's post whose name matches none of its tags."""
APPLIED_TAGS_MAX = 5


@dataclass(frozen=True)
class ForumTags:
    """A forum's tags as newsbot applies them: by slug (`Mobile & Edge` = `mobile-edge`), and
    whether the forum requires one on every post (Discord's REQUIRE_TAG channel flag)."""

    ids: Mapping[str, int]
    required: bool = False
    moderated: frozenset[int] = frozenset()
    """The tags only a member with Manage Threads may apply."""

    @classmethod
    def of(cls, tags: Iterable[tuple[str, int, bool]], *, required: bool) -> ForumTags:
        """From the forum's tags as (name, id, moderated)."""
        listed = list(tags)
        return cls(
            ids={slugify(name): tag for name, tag, _ in listed},
            required=required,
            moderated=frozenset(tag for _, tag, moderated in listed if moderated),
        )

    def applied(self, names: Sequence[str]) -> list[int]:
        """The tags a post gets: those named like `names`, at most 5. In a forum that requires a
        tag, a post none of whose names is a tag gets the fallback (`DIGEST_TAGS` for the
        digest, which is named none, `SECTION_TAGS` for a section): [] if the forum has none."""
        found = dict.fromkeys(self.ids[slugify(n)] for n in names if slugify(n) in self.ids)
        if not found and self.required:
            fallback = self.fallback(digest=not names)
            return [] if fallback is None else [fallback]
        return list(found)[:APPLIED_TAGS_MAX]

    def fallback(self, *, digest: bool) -> int | None:
        """The tag a post named by no tag gets in a forum that requires one, if it has one."""
        wanted = DIGEST_TAGS if digest else SECTION_TAGS
        return next((self.ids[slugify(n)] for n in wanted if slugify(n) in self.ids), None)

    def lacking(self) -> str | None:
        """Why newsbot cannot post its digest in the forum, with what to do, said of the forum
        (`requires a tag …`); None when it can: it requires no tag, or has one for the digest."""
        if not self.required or self.fallback(digest=True) is not None:
            return None
        return (
            "requires a tag on every post and has none for the digest: create a tag named "
            f"“{SECTION_TAGS[0]}” (or “{SECTION_TAGS[1]}”) there, which the digest and any "
            "section without a tag of its name get"
        )


def _thread_messages(
    issue: Issue, target: Target, thread: str, posts: Sequence[Post], *, first: int
) -> list[Step[Target]]:
    """The steps posting `posts` in the thread of step `thread`, numbered from `first`."""
    return [
        Step(
            key=f"{thread}/message/{number}",
            issue_number=issue.number,
            target=target,
            action=Action.MESSAGE,
            parent=thread,
            build=_constant(post.to_dict()),
        )
        for number, post in enumerate(posts, start=first)
    ]


def _channel_steps(
    issue: Issue, target: Target, threads: Sequence[SectionThread]
) -> list[Step[Target]]:
    steps: list[Step[Target]] = []
    thread_keys: dict[str, str] = {}
    for thread in threads:
        key = step_key(issue.number, target, "thread", thread.slug)
        thread_keys[thread.slug] = key
        steps.append(
            Step(
                key=key,
                issue_number=issue.number,
                target=target,
                action=Action.THREAD,
                build=_constant(
                    {
                        "name": thread.name,
                        "type": thread_type(target),
                        "auto_archive_duration": AUTO_ARCHIVE_MINUTES,
                    }
                ),
            )
        )
        steps += _thread_messages(issue, target, key, thread.posts, first=1)
    digest_key = step_key(issue.number, target, "digest")
    steps.append(
        Step(
            key=digest_key,
            issue_number=issue.number,
            target=target,
            action=Action.MESSAGE,
            needs=tuple(thread_keys.values()),
            build=_digest_builder(issue, target, thread_keys, forum=False),
            made_again=_without_pings,
            late=_without_pings,
        )
    )
    if target.kind == "announcement":
        steps.append(
            Step(
                key=f"{digest_key}/crosspost",
                issue_number=issue.number,
                target=target,
                action=Action.CROSSPOST,
                parent=digest_key,
            )
        )
    return steps


def _forum_steps(
    issue: Issue, target: Target, threads: Sequence[SectionThread]
) -> list[Step[Target]]:
    steps: list[Step[Target]] = []
    thread_keys: dict[str, str] = {}
    for thread in threads:
        key = step_key(issue.number, target, "thread", thread.slug)
        thread_keys[thread.slug] = key
        first, *rest = thread.posts
        steps.append(
            Step(
                key=key,
                issue_number=issue.number,
                target=target,
                action=Action.POST,
                build=_constant(
                    {
                        "name": thread.name,
                        "auto_archive_duration": AUTO_ARCHIVE_MINUTES,
                        "tags": _tag_names(thread),
                        "message": first.to_dict(),
                    }
                ),
            )
        )
        # The post's first message is message 1; the rest follow in the post's thread.
        steps += _thread_messages(issue, target, key, rest, first=2)
    steps.append(
        Step(
            key=step_key(issue.number, target, "digest"),
            issue_number=issue.number,
            target=target,
            action=Action.POST,
            needs=tuple(thread_keys.values()),
            build=_digest_builder(issue, target, thread_keys, forum=True),
            made_again=_without_pings,
            late=_without_pings,
        )
    )
    return steps
