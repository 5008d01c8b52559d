"""What newsbot posts on X: an issue as a thread of posts, each within X's 280 weighted characters.

The thread itself is `social.thread` (shared with every platform that posts threads); X's part
is its rules (`x_text.py`): lengths weighted by twitter-text, mentions and cashtags broken.
"""

from __future__ import annotations

from bot.models import Issue
from bot.render.social import DEFAULT_MAX_POSTS, LinkMode, Post, PostRules, Thread
from bot.render.social import thread as social_thread
from bot.render.x_text import POST_MAX, clean, fits, url_spans, weighted_length

__all__ = ["RULES", "LinkMode", "XPost", "XThread", "thread"]

RULES = PostRules(
    platform="X",
    limit=POST_MAX,
    length=weighted_length,
    url_spans=url_spans,
    clean=clean,
    fits=fits,
)
"""X's rules: 280 weighted characters as twitter-text counts them, any URL 23."""

XThread = Thread
XPost = Post


def thread(
    issue: Issue, *, links: LinkMode = LinkMode.ISSUE, max_posts: int = DEFAULT_MAX_POSTS
) -> Thread:
    """The issue as a thread on X of at most `max_posts` posts, condensed if it must be
    (see `social.thread`)."""
    return social_thread(issue, RULES, links=links, max_posts=max_posts)
