"""What an archived or a locked thread lets a user do, as Discord's threads topic and channel
resource document it.

Refusals here are ``APIError``s, not broken rules: whether a thread is archived or locked
changes without the client's doing (Discord archives a quiet thread; a moderator locks one), so
a correct client may meet them and is expected to handle the answer.
"""

from __future__ import annotations

from typing import Any

from ._errors import APIError, forbidden
from ._models import Channel
from ._permissions import Permission
from ._world import World

JSON = dict[str, Any]

THREAD_ARCHIVED = 50083
"""JSON error code 50083, documented as "Tried to perform an operation on an archived thread,
such as editing a message or adding a user to the thread"; Discord's message says "Thread is
archived"."""
THREAD_LOCKED = 160005
"""JSON error code 160005, "Thread is locked"."""

MANAGERS_ONLY = frozenset({"locked", "rate_limit_per_user", "flags"})
"""Thread fields only MANAGE_THREADS may set (threads.mdx › Editing & Deleting Threads:
"changing rate_limit_per_user or locked requires MANAGE_THREADS"; channel.mdx › Modify Channel,
JSON Params (Thread): everything but unarchiving requires MANAGE_THREADS, the creator's own
fields aside)."""


def archived() -> APIError:
    """Discord's answer to an operation on an archived thread."""
    return APIError(400, THREAD_ARCHIVED, "Thread is archived")


def locked() -> APIError:
    """Discord's answer to a change to a locked thread by a user without MANAGE_THREADS."""
    return APIError(400, THREAD_LOCKED, "Thread is locked")


def manages_threads(world: World, thread: Channel, user_id: int) -> bool:
    """Whether ``user_id`` holds MANAGE_THREADS where ``thread`` is."""
    return bool(world.permissions(thread, user_id) & Permission.MANAGE_THREADS)


def check_send(world: World, thread: Channel, user_id: int) -> None:
    """Refuse a new message in a locked thread from a user without MANAGE_THREADS.

    threads.mdx › Locked Threads: such users "won't be able to create … messages in locked
    threads"; with MANAGE_THREADS they still can. threads.mdx › Active & Archived Threads:
    "Sending a message will automatically unarchive the thread, unless the thread has been
    locked by a moderator" (the sender unarchives it, so a locked one only with
    MANAGE_THREADS: "Threads that have locked set to true can only be unarchived by a user
    with the MANAGE_THREADS permission").
    """
    if thread.is_thread and thread.locked and not manages_threads(world, thread, user_id):
        raise locked()


def check_message_edit(world: World, thread: Channel, user_id: int) -> None:
    """Refuse editing a message in an archived thread, or in a locked one without
    MANAGE_THREADS.

    threads.mdx › Active & Archived Threads: "only active threads can be manipulated. Users
    cannot edit messages … in archived threads" (whatever their permissions: the thread must
    be unarchived first). threads.mdx › Locked Threads: users without MANAGE_THREADS "won't be
    able to … update messages in locked threads".
    """
    if not thread.is_thread:
        return
    if thread.archived:
        raise archived()
    if thread.locked and not manages_threads(world, thread, user_id):
        raise locked()


def check_reaction(thread: Channel) -> None:
    """Refuse adding or removing a reaction in an archived thread, whoever asks.

    threads.mdx › Active & Archived Threads: "Users cannot edit messages, add reactions, use
    application commands, or join archived threads"; threads.mdx › Locked Threads: "adding or
    removing reactions will *only* be allowed in locked threads if that thread is also active"
    (so a locked, active thread still takes them).
    """
    if thread.is_thread and thread.archived:
        raise archived()


def check_message_delete(world: World, thread: Channel, user_id: int) -> None:
    """Refuse deleting a message in a thread both locked and archived, without MANAGE_THREADS.

    threads.mdx › Active & Archived Threads: deleting messages is the one operation an archived
    thread takes; threads.mdx › Locked Threads: "deleting messages … will only be allowed in
    locked threads if that thread is also active" for users without MANAGE_THREADS.
    """
    if (
        thread.is_thread
        and thread.archived
        and thread.locked
        and not manages_threads(world, thread, user_id)
    ):
        raise archived()


def check_thread_edit(world: World, thread: Channel, user_id: int, payload: JSON) -> None:
    """Refuse a ``PATCH /channels/{thread.id}`` Discord would refuse.

    - channel.mdx › Modify Channel, JSON Params (Thread): "Requires the thread to have
      archived set to false or be set to false in the request" (else 50083, even for a
      moderator).
    - threads.mdx › Locked Threads and Active & Archived Threads: without MANAGE_THREADS a
      locked thread cannot be unarchived, renamed or retagged (160005).
    - threads.mdx › Editing & Deleting Threads: ``locked`` and ``rate_limit_per_user`` need
      MANAGE_THREADS; ``name``, ``archived`` and ``auto_archive_duration`` need MANAGE_THREADS
      or being the thread's creator (tags are the creator's too, in a forum).
    - channel.mdx › Modify Channel, JSON Params (Thread): "When setting archived to false, when
      locked is also false, only the SEND_MESSAGES permission is required" — in a thread that
      is SEND_MESSAGES_IN_THREADS (threads.mdx › Permissions: SEND_MESSAGES has no effect in
      threads).
    """
    unarchiving = "archived" in payload and payload["archived"] is False
    if thread.archived and not unarchiving:
        raise archived()
    if manages_threads(world, thread, user_id):
        return
    if thread.locked:
        raise locked()
    if set(payload) & MANAGERS_ONLY:
        raise forbidden()
    if thread.owner_id == user_id:
        return
    if set(payload) == {"archived"} and unarchiving:
        world.require(thread, user_id, Permission.SEND_MESSAGES_IN_THREADS)
        return
    raise forbidden()
