"""The editor in the demo: /newsletter commands, and the channels and the X thread as they
look once an issue is published."""

from __future__ import annotations

from typing import Any

from rich.console import Console, RenderableType
from rich.panel import Panel
from rich.text import Text

from bot.demo.screen import Screen
from bot.demo.stage import ANSWER_TIMEOUT
from bot.render.bluesky import POST_MAX as BLUESKY_POST_MAX
from bot.render.packing import graphemes
from bot.render.x_text import POST_MAX, weighted_length
from bot.sandbox.bluesky import BlueskyEmulator
from bot.sandbox.discord import (
    Channel,
    DefaultWorld,
    Emulator,
    InteractionHandle,
    Message,
    Role,
    World,
)
from bot.sandbox.mastodon import MastodonEmulator, status_length
from bot.sandbox.x import Tweet, XEmulator


class Editor:
    """Plays the server's manager: subscribes channels, reviews suggestions, asks for status."""

    def __init__(self, emulator: Emulator, seed: DefaultWorld, console: Console) -> None:
        self.emulator = emulator
        self.seed = seed
        self.console = console
        self.screen = Screen(emulator.world)
        self.last_review: list[Message] = []
        """What the last `/suggestions review` answered: its cards (and a note)."""

    async def command(
        self, name: str, sub: str, *, followups: int = 0, **options: Any
    ) -> list[Message]:
        """Run `/name sub …` as the manager and print newsbot's answer (and its follow-ups)."""
        handle = await self._run(name, sub, options)
        answers = [await handle.original(timeout=ANSWER_TIMEOUT)]
        if followups:
            more = await handle.followups(followups, timeout=ANSWER_TIMEOUT)
            answers += [m for m in more if m.id != answers[0].id]
        return self._print(answers)

    async def review(self, waiting: int, **options: Any) -> list[Message]:
        """Run `/suggestions review …` as the manager and print its answer: a card for each of
        the `waiting` suggestions (those it shows), then the note that there are more when it
        shows fewer, or the note that there are none."""
        handle = await self._run("suggestions", "review", options)

        def answered() -> list[Message] | None:
            sent = handle.interaction.followups
            cards = sum(1 for message in sent if message.embeds)
            noted = any(not message.embeds for message in sent)
            return list(sent) if noted or cards >= max(1, waiting) else None

        self.last_review = await self.emulator.wait_until(answered, timeout=ANSWER_TIMEOUT)
        return self._print(self.last_review)

    async def press(self, message: Message, custom_id: str, what: str) -> None:
        """Press a button of one of newsbot's answers to the manager (`what` says which, as
        the demo shows it), and print the answer as it is afterwards."""
        self.console.print(Text(f"\n{self.who} (editor) › presses {what}", style="bold cyan"))
        handle = await self.emulator.press_button(message, custom_id, self.seed.manager)
        await handle.updated(timeout=ANSWER_TIMEOUT)
        self._print([message])

    async def _run(self, name: str, sub: str, options: dict[str, Any]) -> InteractionHandle:
        """Print `/name sub …` as the manager types it, and run it."""
        shown = " ".join(f"{key}:{_shown(value)}" for key, value in options.items())
        typed = f"/{name} {sub} {shown}".rstrip()
        self.console.print(Text(f"\n{self.who} (editor) › {typed}", style="bold cyan"))
        return await self.emulator.run_slash_command(
            self.seed.guild, self.seed.general, self.seed.manager, name, options, subcommand=sub
        )

    def _print(self, answers: list[Message]) -> list[Message]:
        for answer in answers:
            self.console.print(self.screen.message(answer, who=self.who))
        return answers

    @property
    def who(self) -> str:
        """The manager's name, as the demo shows what they do."""
        return self.seed.manager.username

    async def newsletter(self, sub: str, **options: Any) -> list[Message]:
        """`/newsletter sub …`."""
        return await self.command("newsletter", sub, **options)

    def show_channel(self, channel: Channel, *, digest: bool = True) -> None:
        """Print what a reader finds in a channel: its digest (whole, or as one line), then
        each thread or forum post."""
        self.console.rule(f"#{channel.name}, as a reader sees it")
        world = self.emulator.world
        for message in self.emulator.messages_in(channel):
            if not message.embeds:  # "started a thread" notices are Discord's own
                continue
            if digest:
                self.console.print(self.screen.message(message, who=f"#{channel.name}"))
            else:
                title = self.screen.named(str(message.embeds[0].get("title", "")))
                self.console.print(
                    Text(f"  📰 the digest: {title}", style="bold")
                    + Text(f"  {len(message.embeds)} card(s)", style="dim")
                )
        threads = threads_of(world, channel)
        tags = {tag.id: tag.name for tag in channel.available_tags}
        for thread in threads:
            messages = self.emulator.messages_in(thread)
            labels = ", ".join(tags[t] for t in thread.applied_tags if t in tags)
            items = sum(len(m.embeds) for m in messages)
            self.console.print(
                Text(f"  🧵 {thread.name}", style="bold")
                + Text(f"  {len(messages)} message(s), {items} card(s)", style="dim")
                + Text(f"  [{labels}]" if labels else "", style="magenta")
            )

    def show_thread(self, channel: Channel, name: str) -> None:
        """Print the messages of one of a channel's threads."""
        thread = thread_named(self.emulator.world, channel, name)
        if thread is not None:
            self.console.rule(f"🧵 {name} in #{channel.name}, opened")
            for message in self.emulator.messages_in(thread):
                self.console.print(self.screen.message(message, who=name))


def threads_of(world: World, channel: Channel) -> list[Channel]:
    """The live threads (or forum posts) of `channel`, oldest first."""
    return [c for c in world.channels.values() if c.parent_id == channel.id and not c.deleted]


def thread_named(world: World, channel: Channel, name: str) -> Channel | None:
    """The live thread (or forum post) of `channel` called `name`."""
    return next((thread for thread in threads_of(world, channel) if thread.name == name), None)


def _shown(value: Any) -> str:
    if isinstance(value, Role):
        return f"@{value.name}"
    if isinstance(value, Channel):
        return f"#{value.name}"
    return str(value)


def show_x_thread(console: Console, x: XEmulator) -> None:
    """Print the account's posts on X as a thread: each with its weighted length (twitter-text,
    as newsbot's renderer counts it) and the post it replies to."""
    tweets = x.live_tweets()
    console.rule(f"X: @{x.config.username}'s thread, as a reader sees it")
    position = {tweet.id: number for number, tweet in enumerate(tweets, start=1)}
    for number, tweet in enumerate(tweets, start=1):
        console.print(_x_post(tweet, number, len(tweets), position))
    weights = [weighted_length(tweet.text) for tweet in tweets]
    console.print(
        f"{len(tweets)} posts, the longest {max(weights, default=0)}/{POST_MAX} weighted "
        f"characters (twitter-text: a URL counts 23, an emoji 2); X's pay-per-use price for "
        f"them: ${x.cost:.3f}."
    )


def _x_post(tweet: Tweet, number: int, total: int, position: dict[int, int]) -> RenderableType:
    title = f"post {number}/{total} · {weighted_length(tweet.text)}/{POST_MAX}"
    if tweet.in_reply_to is not None:
        title += f" · ↳ replies to post {position.get(tweet.in_reply_to, '?')}"
    if tweet.quote_of is not None:
        title += f" · quotes post {position.get(tweet.quote_of, '?')}"
    return Panel(Text(tweet.text), title=title, title_align="left", border_style="bright_black")


def show_mastodon_thread(console: Console, mastodon: MastodonEmulator) -> None:
    """Print the account's statuses on Mastodon as a thread: each with its length as the
    instance counts it, its visibility and the status it replies to."""
    statuses = mastodon.live_statuses()
    config = mastodon.config
    console.rule(f"Mastodon: @{config.username}@{config.domain}'s thread, as a reader sees it")
    position = {status.id: number for number, status in enumerate(statuses, start=1)}
    lengths = [status_length(s.text, config.characters_reserved_per_url) for s in statuses]
    for number, (status, length) in enumerate(zip(statuses, lengths, strict=True), start=1):
        title = f"post {number}/{len(statuses)} · {length}/{config.max_characters}"
        title += f" · {status.visibility}"
        if status.in_reply_to_id is not None:
            title += f" · ↳ replies to post {position.get(status.in_reply_to_id, '?')}"
        console.print(
            Panel(Text(status.text), title=title, title_align="left", border_style="bright_black")
        )
    console.print(
        f"{len(statuses)} statuses, the longest {max(lengths, default=0)}/{config.max_characters} "
        f"characters as the instance counts them (graphemes, a URL "
        f"{config.characters_reserved_per_url}); no one mentioned, no hashtag made."
    )


def show_bluesky_thread(console: Console, bluesky: BlueskyEmulator) -> None:
    """Print the account's posts on Bluesky as a thread: each with its graphemes (what Bluesky
    counts), its links (the text shown, and where the facet leads) and the post it replies to."""
    posts = bluesky.posts()
    console.rule(f"Bluesky: @{bluesky.config.handle}'s thread, as a reader sees it")
    position = {post.uri: number for number, post in enumerate(posts, start=1)}
    for number, post in enumerate(posts, start=1):
        title = f"post {number}/{len(posts)} · {len(graphemes(post.text))}/{BLUESKY_POST_MAX}"
        if post.reply is not None:
            title += f" · ↳ replies to post {position.get(post.reply['parent']['uri'], '?')}"
        text = Text(post.text)
        data = post.text.encode()
        for facet in post.value.get("facets", []):
            start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
            shown = data[start:end].decode()
            text.append(f"\n  ↗ {shown} → {facet['features'][0]['uri']}", style="blue")
        console.print(Panel(text, title=title, title_align="left", border_style="bright_black"))
    console.print(
        f"{len(posts)} posts, each a reply naming the first as its root and the one before as "
        "its parent; URLs shown short, each with a link facet on exactly its bytes."
    )
