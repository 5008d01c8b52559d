"""Previews and dry runs of the outlets that post an issue as a thread (X, and those beside it):
every post with its length against the platform's limit (`N/LIMIT`), what was condensed, and
what publishing would do with each post. X adds its prices and its daily cap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from bot.models import Issue
    from bot.publishing.catalogue import ThreadOutlet
    from bot.publishing.outlet import Outlet
    from bot.publishing.reports import PlannedStep
    from bot.render.social import Thread
    from bot.wiring import Services


def size(used: int, limit: int) -> Text:
    """`used/limit`, red when over, yellow when nearly full."""
    style = "red bold" if used > limit else ("yellow" if used > limit * 0.9 else "green")
    return Text(f"{used}/{limit}", style=style)


async def _planned(
    services: Services, issue: Issue, name: str
) -> tuple[ThreadOutlet, Thread, list[PlannedStep]]:
    """The outlet, the issue's thread on it, and what publishing would do with each post."""
    outlet = services.outlet(name)
    assert outlet is not None  # built offline: there is always one to plan with
    thread_outlet = cast("ThreadOutlet", outlet)
    # The account first: an outlet may learn its platform's limits there (Mastodon's instance).
    account = (await outlet.targets())[0]
    rendered = thread_outlet.rendered(issue)
    return thread_outlet, rendered, await services.engine.preview(issue, outlet, account)


async def dry_run(services: Services, issue: Issue, name: str) -> RenderableType:
    """What publishing the issue on the outlet would do, post by post."""
    from bot.publishing.outlet import Outcome

    outlet, rendered, planned = await _planned(services, issue, name)
    table = Table(title=f"Publishing #{issue.number} on {outlet.title} would…", show_lines=False)
    for column in ("step", "length", "does"):
        table.add_column(column)
    for entry, post in zip(planned, rendered.posts, strict=True):
        table.add_row(entry.step.key, f"{post.weight}/{rendered.limit}", outlet.does(entry))
    making = [
        post
        for entry, post in zip(planned, rendered.posts, strict=True)
        if entry.outcome == Outcome.POSTED
    ]
    summary = f"{len(making)} of {len(planned)} posts to make"
    if name == "x":
        x = services.settings.x
        summary += f", estimated ${sum(p.cost(x.post_price, x.url_post_price) for p in making):.3f}"
    return Group(table, Text(summary), *notes(rendered, issue))


async def preview(
    services: Services, issue: Issue, name: str, not_configured: str
) -> RenderableType:
    """The issue's thread on the outlet: every post with its length against the limit."""
    outlet, rendered, planned = await _planned(services, issue, name)
    total = len(rendered.posts)
    parts: list[RenderableType] = [
        Text(f"#{issue.number} on {outlet.title}: a thread of {total} posts", style="bold")
    ]
    if name == "x":
        parts.append(_x_cost(services, rendered))
    parts += notes(rendered, issue)
    for number, post in enumerate(rendered.posts, start=1):
        title = Text.assemble(f"post {number}/{total} · ", size(post.weight, rendered.limit))
        if post.has_url:
            title.append(" · link")
        parts.append(Panel(Text(post.text), title=title, title_align="left"))
    if name == "x":
        parts.append(await _x_cap(services, planned, not_configured))
    return Group(*parts)


def notes(rendered: Thread, issue: Issue) -> list[Text]:
    """What the renderer condensed or left out, in words."""
    if not rendered.condensed:
        return [Text("every item is in the thread, whole")]
    lines = [Text(f"condensed: {note}", style="yellow") for note in rendered.notes]
    titles = {item.key: item.title for _, item in issue.items}
    if rendered.shortened:
        lines.append(Text(f"{len(rendered.shortened)} items shortened", style="yellow"))
    for key in rendered.omitted:
        lines.append(Text(f"left out: {titles.get(key, key)}", style="yellow"))
    return lines


# --- X's prices and cap -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Prices:
    post: float
    url_post: float

    def of(self, rendered: Thread) -> Text:
        """The thread's estimated cost, and what makes it up."""
        with_url = sum(1 for p in rendered.posts if p.has_url)
        plain = len(rendered.posts) - with_url
        cost = rendered.cost(self.post, self.url_post)
        parts = []
        if with_url:
            parts.append(f"{with_url} with a link at ${self.url_post:.3f}")
        if plain:
            parts.append(f"{plain} without at ${self.post:.3f}")
        return Text(f"estimated cost: ${cost:.3f} ({', '.join(parts)})")


def _x_cost(services: Services, rendered: Thread) -> Text:
    x = services.settings.x
    return _Prices(x.post_price, x.url_post_price).of(rendered)


async def _x_cap(services: Services, planned: list[PlannedStep], not_configured: str) -> Text:
    from bot.publishing.outlet import Outcome

    x = services.settings.x
    outlet: Outlet[Any] | None = services.outlet("x")
    if not x.configured() or outlet is None:
        return Text(f"{not_configured}: today's cap is not checked", style="dim")
    left = await services.engine.remaining_today(outlet) or 0
    needed = sum(1 for e in planned if e.outcome != Outcome.UNCHANGED)
    verdict = "it fits" if needed <= left else f"{needed - left} wait for a later publish"
    return Text(
        f"X's daily cap: {left} of {x.daily_posts} posts left today; "
        f"this thread needs {needed} ({verdict})"
    )
