"""Issues held back from readers until their publish_at: the SQL that leaves them out of
SQLite's reads. When an issue has come is `bot.store.held`'s rule."""

from __future__ import annotations

HELD_FUNCTION = "newsbot_held"
"""The SQL name of `bot.store.held.held_function`: is this stored publish_at still ahead?"""
HELD_ISSUES = (
    "SELECT number FROM issues WHERE publish_at > :horizon AND newsbot_held(publish_at)"
    " AND NOT EXISTS (SELECT 1 FROM outbox WHERE outbox.issue_number = issues.number"
    " AND outbox.state = 'sent')"
)
"""Issues readers cannot see yet: their publish_at is ahead and nothing of them was sent."""
