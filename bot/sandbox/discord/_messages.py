"""Messages, threads, forum posts, crossposts and reactions, with Discord's rules.

``Messaging`` changes the ``World`` the way Discord's REST API would and dispatches the
matching gateway events (MESSAGE_CREATE, MESSAGE_UPDATE, THREAD_CREATE …).
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ._config import EmulatorConfig
from ._errors import APIError, FormErrors, unknown
from ._limits import (
    DEFAULT_THREAD_TYPE,
    RuleBroken,
    check_applied_tags,
    check_message,
    check_thread,
    check_thread_type,
    moderated_change,
    refuse_if_any,
    tag_required,
    wrong_channel_type,
)
from ._models import (
    Attachment,
    Channel,
    ChannelFlag,
    ChannelType,
    Guild,
    Intent,
    Message,
    MessageFlag,
    Reaction,
    User,
)
from ._permissions import Permission
from ._threads import (
    check_message_delete,
    check_message_edit,
    check_reaction,
    check_send,
    check_thread_edit,
)
from ._world import World

JSON = dict[str, Any]

_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")
_EVERYONE = re.compile(r"@(everyone|here)\b")
TEXT_TYPES = frozenset({ChannelType.GUILD_TEXT, ChannelType.GUILD_ANNOUNCEMENT})
FORUM_TYPES = frozenset({ChannelType.GUILD_FORUM, ChannelType.GUILD_MEDIA})
MESSAGE_RULES = "message limits (Message › Create Message, Embed Limits; Components reference)"
THREAD_RULES = "thread name and archive duration (Channel › Start Thread)"


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request (``files[n]``)."""

    filename: str
    data: bytes
    content_type: str | None


def empty_message() -> RuleBroken:
    """Discord's answer to a message with nothing in it."""
    return RuleBroken(
        400,
        50006,
        "Cannot send an empty message",
        rule="a message needs content, embeds, components or files (Message › Create Message)",
    )


AUTHORS_ONLY = frozenset(
    {"content", "embeds", "components", "attachments", "allowed_mentions", "sticker_ids", "poll"}
)
"""Message › Edit Message: the JSON params only a message's author may send; others "can only
edit `flags`" (discord.py's ``Message.edit(suppress=True)`` also sends ``tts``, which is no
edit param and changes nothing)."""

REPLYABLE_TYPES = frozenset({0, 7, 19, 20, 21, 23})
"""Message types a reply may refer to. message.mdx › Create Message: "The referenced message must
exist and cannot be a system message"; the docs list no system types, so the set is the one
discord.py's ``Message.is_system`` leaves out (DEFAULT, REPLY, CHAT_INPUT_COMMAND,
THREAD_STARTER_MESSAGE, CONTEXT_MENU_COMMAND), and USER_JOIN, which Discord's own client
answers with a reply ("Wave to say hi"). Every other type is a notice Discord posts itself."""


def reply_refused(code: str, message: str, rule: str) -> RuleBroken:
    """Discord's 400 Invalid Form Body for a ``message_reference`` no reply can have."""
    return RuleBroken(
        400,
        50035,
        "Invalid Form Body",
        {"message_reference": {"_errors": [{"code": code, "message": message}]}},
        rule=rule,
    )


def _stored_embed(embed: JSON) -> JSON:
    """An embed as Discord keeps it: always ``rich``, its texts trimmed (Embed Limits)."""
    stored: JSON = {**embed, "type": "rich"}
    for key in ("title", "description"):
        if isinstance(stored.get(key), str):
            stored[key] = stored[key].strip()
    for key, inner in (("footer", "text"), ("author", "name")):
        part = stored.get(key)
        if isinstance(part, dict) and isinstance(part.get(inner), str):
            stored[key] = {**part, inner: part[inner].strip()}
    if isinstance(stored.get("fields"), list):
        stored["fields"] = [
            {**f, **{k: f[k].strip() for k in ("name", "value") if isinstance(f.get(k), str)}}
            for f in stored["fields"]
        ]
    return stored


def _has_body(message: Message) -> bool:
    return bool(
        message.content.strip() or message.embeds or message.components or message.attachments
    )


class Messaging:
    """Creates, edits and deletes messages, threads and reactions in a ``World``."""

    def __init__(self, world: World, config: EmulatorConfig) -> None:
        self.world = world
        self.config = config
        self.attachment_base = ""
        self.attachments: dict[int, Attachment] = {}
        self._nonces: dict[tuple[int, int, str], tuple[Message, float]] = {}

    # -- messages ----------------------------------------------------------------------

    def create(
        self,
        channel: Channel,
        author: User,
        payload: JSON,
        *,
        files: Sequence[UploadedFile] = (),
        check_permissions: bool = True,
        message_type: int | None = None,
        webhook_id: int | None = None,
        interaction_metadata: JSON | None = None,
        ephemeral_allowed: bool = False,
        message_id: int | None = None,
        rules_checked: bool = False,
    ) -> Message:
        """Post a message as ``author`` after Discord's checks; return it (or the nonce twin).

        With ``nonce`` and ``enforce_nonce`` the same author repeating the nonce in the same
        channel within ``nonce_window`` seconds gets the earlier message back, and nothing new
        is posted or dispatched. ``rules_checked``: the caller already held ``payload`` to the
        message rules (`check_message`, with ``ephemeral_allowed``), which are not run again.
        """
        guild = self._guild(channel)
        if channel.type in FORUM_TYPES or channel.type == ChannelType.GUILD_CATEGORY:
            raise RuleBroken(
                400,
                50008,
                "Cannot send messages in a non-text channel",
                rule="forum and media channels hold only posts (Threads › Forums)",
            )
        if check_permissions:
            send = (
                Permission.SEND_MESSAGES_IN_THREADS
                if channel.is_thread
                else Permission.SEND_MESSAGES
            )
            self.world.require(channel, author.id, Permission.VIEW_CHANNEL | send)
            check_send(self.world, channel, author.id)
        if not rules_checked:
            errors = FormErrors()
            check_message(payload, errors, ephemeral_allowed=ephemeral_allowed)
            refuse_if_any(errors, MESSAGE_RULES)
        if check_permissions:
            self._require_reply_permission(channel, author, payload.get("message_reference"))
        missing = FormErrors()
        reference = self._resolve_reference(channel, payload.get("message_reference"), missing)
        missing.raise_if_any()

        nonce = payload.get("nonce")
        nonce_key = None
        if nonce is not None:
            nonce = str(nonce)
            if payload.get("enforce_nonce"):
                nonce_key = (channel.id, author.id, nonce)
                earlier = self._nonces.get(nonce_key)
                if earlier is not None:
                    twin, sent_at = earlier
                    if time.monotonic() - sent_at < self.config.nonce_window and not twin.deleted:
                        return twin

        embeds = list(payload.get("embeds") or [])
        if (
            embeds
            and check_permissions
            and not self.world.permissions(channel, author.id) & Permission.EMBED_LINKS
        ):
            # Discord drops embeds a bot may not post rather than failing the request.
            embeds = []
        message = Message(
            id=message_id if message_id is not None else self.world.snowflakes.next(),
            channel_id=channel.id,
            guild_id=guild.id if guild is not None else None,
            author=author,
            content=str(payload.get("content") or ""),
            embeds=[_stored_embed(e) for e in embeds],
            components=list(payload.get("components") or []),
            flags=int(payload.get("flags") or 0),
            tts=bool(payload.get("tts")),
            nonce=nonce,
            allowed_mentions=payload.get("allowed_mentions"),
            webhook_id=webhook_id,
            application_id=webhook_id,
            interaction_metadata=interaction_metadata,
            author_member=guild.members.get(author.id) if guild is not None else None,
        )
        message.attachments = self._attachments(channel, payload, files)
        if reference is not None:
            message.message_reference = {
                "type": 0,
                "channel_id": str(reference.channel_id),
                "message_id": str(reference.id),
            }
            if guild is not None:
                message.message_reference["guild_id"] = str(guild.id)
            message.referenced = reference
        message.type = message_type if message_type is not None else (19 if reference else 0)
        if not _has_body(message):
            raise empty_message()
        self._mentions(guild, channel, message)
        if not message.ephemeral:
            self._store(channel, message)
            self.world.events.dispatch_message("MESSAGE_CREATE", message)
        if nonce_key is not None:
            self._nonces[nonce_key] = (message, time.monotonic())
        self.world.touch()
        return message

    def add(self, channel: Channel, message: Message) -> None:
        """Store an already-built message and dispatch MESSAGE_CREATE (no checks)."""
        self._store(channel, message)
        self.world.events.dispatch_message("MESSAGE_CREATE", message)
        self.world.touch()

    def _store(self, channel: Channel, message: Message) -> None:
        channel.messages[message.id] = message
        channel.last_message_id = message.id
        if channel.archived:
            # threads.mdx › Active & Archived Threads: "Sending a message will automatically
            # unarchive the thread" (`check_send` has refused it in a locked one already).
            channel.archived = False
            self.world.events.dispatch(
                "THREAD_UPDATE", channel.payload(), guild_id=channel.guild_id, intent=Intent.GUILDS
            )
        if channel.is_thread:
            channel.total_message_sent += 1

    def _require_reply_permission(self, channel: Channel, author: User, reference: Any) -> None:
        """message.mdx › Create Message, Limitations: "When creating a message as a reply to
        another message, the current user must have the READ_MESSAGE_HISTORY permission".

        Discord answers 403 with JSON error code 160002; whether the bot holds the permission
        changes without its doing, so this is an answer a correct client may meet.
        """
        if not isinstance(reference, dict) or reference.get("message_id") is None:
            return
        if not self.world.permissions(channel, author.id) & Permission.READ_MESSAGE_HISTORY:
            raise APIError(403, 160002, "Cannot reply without permission to read message history")

    def _resolve_reference(
        self, channel: Channel, reference: Any, errors: FormErrors
    ) -> Message | None:
        """The message a reply refers to; a reference Discord refuses raises at once.

        message.mdx › Create Message, Limitations: "The referenced message must exist and
        cannot be a system message"; Message Reference Content Attribution › Replies: their
        "channel_id and guild_id will be the same as the reply" (a forward may come from
        elsewhere, a reply may not).
        """
        if not isinstance(reference, dict) or reference.get("message_id") is None:
            return None
        if reference.get("type", 0) != 0:
            errors.add(
                ("message_reference", "type"), "BASE_TYPE_CHOICES", "Only replies are emulated"
            )
            return None
        ref_channel_id = int(reference.get("channel_id") or channel.id)
        if ref_channel_id != channel.id:
            raise reply_refused(
                "REPLIES_CANNOT_REFERENCE_OTHER_CHANNEL",
                "Cannot reply to a message in a different channel",
                "a reply refers to a message of its own channel (Message › Message Reference "
                "Content Attribution › Replies)",
            )
        found = None
        if not channel.deleted:
            found = channel.messages.get(int(reference["message_id"]))
        if found is not None and not found.deleted and found.type not in REPLYABLE_TYPES:
            raise reply_refused(
                "REPLIES_CANNOT_REPLY_TO_SYSTEM_MESSAGE",
                "Cannot reply to a system message",
                f"a reply's message is no system message, and type {found.type} is one "
                "(Message › Create Message, Limitations)",
            )
        if found is None or found.deleted:
            if reference.get("fail_if_not_exists", True):
                errors.add(
                    ("message_reference",),
                    "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
                    "Unknown message",
                )
            return None
        return found

    def _attachments(
        self, channel: Channel, payload: JSON, files: Sequence[UploadedFile]
    ) -> list[Attachment]:
        result: list[Attachment] = []
        for upload in files:
            attachment_id = self.world.snowflakes.next()
            attachment = Attachment(
                id=attachment_id,
                filename=upload.filename,
                data=upload.data,
                content_type=upload.content_type,
                url=f"{self.attachment_base}/attachments/{channel.id}/{attachment_id}/{upload.filename}",
            )
            self.attachments[attachment_id] = attachment
            result.append(attachment)
        return result

    def _guild(self, channel: Channel) -> Guild | None:
        """The guild of ``channel``; None for a DM, which belongs to none."""
        return None if channel.is_dm else self.world.guild_of(channel)

    def _mentions(self, guild: Guild | None, channel: Channel, message: Message) -> None:
        """Work out who the message pings, honouring ``allowed_mentions`` like Discord (a DM
        has no roles to ping)."""
        allowed = message.allowed_mentions
        parse: list[str] = (
            ["users", "roles", "everyone"] if allowed is None else allowed.get("parse") or []
        )
        user_ids = {int(u) for u in (allowed or {}).get("users") or []}
        role_ids = {int(r) for r in (allowed or {}).get("roles") or []}
        content = message.content
        users: list[User] = []
        for match in _USER_MENTION.finditer(content):
            uid = int(match.group(1))
            user = self.world.users.get(uid)
            if user is not None and ("users" in parse or uid in user_ids) and user not in users:
                users.append(user)
        replied = True if allowed is None else bool(allowed.get("replied_user", False))
        if message.referenced is not None and replied and message.referenced.author not in users:
            users.append(message.referenced.author)
        # Message resource › Allowed Mentions Object: a role is pinged only if it is
        # mentionable or the sender has MENTION_EVERYONE; @everyone and @here only with
        # MENTION_EVERYONE.
        perms = self.world.permissions(channel, message.author.id)
        may_mention_everyone = bool(perms & Permission.MENTION_EVERYONE)
        roles: list[int] = []
        for match in _ROLE_MENTION.finditer(content):
            rid = int(match.group(1))
            role = guild.roles.get(rid) if guild is not None else None
            if (
                role is not None
                and (role.mentionable or may_mention_everyone)
                and ("roles" in parse or rid in role_ids)
                and rid not in roles
            ):
                roles.append(rid)
        everyone = False
        if "everyone" in parse and _EVERYONE.search(content):
            everyone = may_mention_everyone or message.webhook_id is not None
        message.mentions = users
        message.mention_roles = roles
        message.mention_everyone = everyone

    def edit(self, message: Message, editor: User, payload: JSON) -> Message:
        """Apply a PATCH to ``message``; only its author may change more than the flags, and
        not in an archived thread, nor in a locked one without MANAGE_THREADS."""
        channel = self.world.channels[message.channel_id]
        check_message_edit(self.world, channel, editor.id)
        if editor.id != message.author.id:
            if set(payload) & AUTHORS_ONLY:
                raise RuleBroken(
                    403,
                    50005,
                    "Cannot edit a message authored by another user",
                    rule="only a message's author edits more than its flags "
                    "(Message › Edit Message)",
                )
            # Message › Edit Message: "Other users can only edit `flags` and only if they have
            # the MANAGE_MESSAGES permission in the corresponding channel."
            self.world.require(channel, editor.id, Permission.MANAGE_MESSAGES)
        errors = FormErrors()
        flags = payload.get("flags")
        if flags is None:
            flags = message.flags
        elif not isinstance(flags, int):
            flags = -1
        check_message({**payload, "flags": flags & ~_SERVER_FLAGS}, errors, ephemeral_allowed=True)
        refuse_if_any(errors, MESSAGE_RULES)
        if "content" in payload:
            message.content = str(payload["content"] or "")
        if "embeds" in payload:
            message.embeds = [_stored_embed(e) for e in payload["embeds"] or []]
        if "components" in payload:
            message.components = list(payload["components"] or [])
        if "allowed_mentions" in payload:
            message.allowed_mentions = payload["allowed_mentions"]
        elif "content" in payload:
            # Message › Edit Message: new content without `allowed_mentions` is parsed with the
            # default allowances, whatever the message was created with.
            message.allowed_mentions = None
        if "attachments" in payload:
            keep = {str(a.get("id")) for a in payload["attachments"] or []}
            message.attachments = [a for a in message.attachments if str(a.id) in keep]
        if payload.get("flags") is not None:
            changeable = MessageFlag.SUPPRESS_EMBEDS
            message.flags = (message.flags & ~changeable) | (int(payload["flags"]) & changeable)
        message.flags &= ~MessageFlag.LOADING
        if not _has_body(message):
            raise empty_message()
        self._mentions(self._guild(channel), channel, message)
        message.edited_at = datetime.now(UTC)
        if not message.ephemeral:
            self.world.events.dispatch_message("MESSAGE_UPDATE", message)
        self.world.touch()
        return message

    def delete(self, message: Message, deleter: User, *, check_permissions: bool = True) -> None:
        """Delete a message (its author, or MANAGE_MESSAGES); dispatch MESSAGE_DELETE."""
        channel = self.world.channels[message.channel_id]
        if check_permissions:
            check_message_delete(self.world, channel, deleter.id)
        if check_permissions and deleter.id != message.author.id:
            self.world.require(channel, deleter.id, Permission.MANAGE_MESSAGES)
        message.deleted = True
        if not message.ephemeral:
            self.world.events.dispatch(
                "MESSAGE_DELETE",
                {
                    "id": str(message.id),
                    "channel_id": str(channel.id),
                    "guild_id": str(channel.guild_id),
                },
                guild_id=channel.guild_id,
                intent=Intent.GUILD_MESSAGES,
            )
        self.world.touch()

    def history(
        self,
        channel: Channel,
        viewer: User,
        *,
        limit: int = 50,
        before: int | None = None,
        after: int | None = None,
        around: int | None = None,
    ) -> list[Message]:
        """Return messages newest first, as ``GET /channels/{id}/messages`` does."""
        if not 1 <= limit <= 100:
            errors = FormErrors()
            errors.add(("limit",), "NUMBER_TYPE_MAX", "int value should be between 1 and 100.")
            errors.raise_if_any()
        self.world.require(channel, viewer.id, Permission.VIEW_CHANNEL)
        if not self.world.permissions(channel, viewer.id) & Permission.READ_MESSAGE_HISTORY:
            return []
        live = channel.live_messages()
        if around is not None:
            older = [m for m in live if m.id <= around][-((limit + 1) // 2) :]
            newer = [m for m in live if m.id > around][: limit // 2]
            return list(reversed(older + newer))
        if after is not None:
            return list(reversed([m for m in live if m.id > after][:limit]))
        if before is not None:
            live = [m for m in live if m.id < before]
        return list(reversed(live[-limit:]))

    def crosspost(self, channel: Channel, message: Message, user: User) -> Message:
        """Publish a message of an announcement channel to following servers."""
        if channel.type != ChannelType.GUILD_ANNOUNCEMENT:
            raise wrong_channel_type(
                "only announcement channels crosspost (Message › Crosspost Message)"
            )
        needed = (
            Permission.SEND_MESSAGES if message.author.id == user.id else Permission.MANAGE_MESSAGES
        )
        self.world.require(channel, user.id, Permission.VIEW_CHANNEL | needed)
        if message.flags & MessageFlag.CROSSPOSTED:
            raise APIError(400, 40033, "This message has already been crossposted.")
        message.flags |= MessageFlag.CROSSPOSTED
        self.world.events.dispatch_message("MESSAGE_UPDATE", message)
        self.world.touch()
        return message

    # -- threads -----------------------------------------------------------------------

    def thread_from_message(
        self, channel: Channel, message: Message, user: User, payload: JSON
    ) -> Channel:
        """Start a thread on ``message``; the thread's id is the message's id.

        Threads topic: the thread's type follows the channel's — PUBLIC_THREAD in a text
        channel, ANNOUNCEMENT_THREAD in an announcement channel — and a message has one.
        """
        if channel.type not in TEXT_TYPES:
            raise wrong_channel_type(
                "threads start from messages only in text and announcement channels "
                "(Channel › Start Thread from Message)"
            )
        self.world.require(
            channel, user.id, Permission.VIEW_CHANNEL | Permission.CREATE_PUBLIC_THREADS
        )
        errors = FormErrors()
        check_thread(payload, errors)
        refuse_if_any(errors, THREAD_RULES)
        if message.thread is not None:
            raise RuleBroken(
                400,
                160004,
                "A thread has already been created for this message",
                rule="a message starts one thread (Channel › Start Thread from Message)",
            )
        kind = (
            ChannelType.ANNOUNCEMENT_THREAD
            if channel.type == ChannelType.GUILD_ANNOUNCEMENT
            else ChannelType.PUBLIC_THREAD
        )
        thread = self._new_thread(channel, user, payload, kind, thread_id=message.id)
        message.thread = thread
        message.flags |= MessageFlag.HAS_THREAD
        self.world.register_thread(self.world.guild_of(channel), thread)
        self.world.events.dispatch_message("MESSAGE_UPDATE", message)
        return thread

    def thread_without_message(self, channel: Channel, user: User, payload: JSON) -> Channel:
        """Start a thread with no starter message, of the ``type`` asked, posting Discord's notice.

        The type must suit the channel (``check_thread_type``): 10 in an announcement channel,
        11 or 12 in a text channel; without ``type`` Discord makes a private thread (12).
        """
        requested = payload.get("type")
        check_thread_type(channel.type, DEFAULT_THREAD_TYPE if requested is None else requested)
        kind = ChannelType(requested if requested is not None else DEFAULT_THREAD_TYPE)
        needed = (
            Permission.CREATE_PRIVATE_THREADS
            if kind == ChannelType.PRIVATE_THREAD
            else Permission.CREATE_PUBLIC_THREADS
        )
        self.world.require(channel, user.id, Permission.VIEW_CHANNEL | needed)
        errors = FormErrors()
        check_thread(payload, errors)
        refuse_if_any(errors, THREAD_RULES)
        thread = self._new_thread(channel, user, payload, kind)
        self.world.register_thread(self.world.guild_of(channel), thread)
        if kind != ChannelType.PRIVATE_THREAD:
            notice = Message(
                id=self.world.snowflakes.next(),
                channel_id=channel.id,
                guild_id=channel.guild_id,
                author=user,
                content=thread.name,
                type=18,
                message_reference={
                    "type": 0,
                    "channel_id": str(thread.id),
                    "guild_id": str(channel.guild_id),
                },
                author_member=self.world.guild_of(channel).members.get(user.id),
            )
            self._store(channel, notice)
            self.world.events.dispatch_message("MESSAGE_CREATE", notice)
        self.world.touch()
        return thread

    def forum_post(
        self, forum: Channel, user: User, payload: JSON, files: Sequence[UploadedFile] = ()
    ) -> tuple[Channel, Message]:
        """Create a forum post: a thread plus its starter message (same id), with tags.

        Channel › Start Thread in Forum or Media Channel: the post is a PUBLIC_THREAD made
        with a ``message``; its ``applied_tags`` are the forum's own, at most 5, and at least
        one when the forum requires a tag; a moderated tag needs MANAGE_THREADS (Forum Tag
        Object).
        """
        if payload.get("type") is not None:
            check_thread_type(forum.type, payload["type"])
        self.world.require(forum, user.id, Permission.VIEW_CHANNEL | Permission.SEND_MESSAGES)
        errors = FormErrors()
        check_thread(payload, errors)
        body = payload.get("message")
        if not isinstance(body, dict):
            errors.required(("message",))
        else:
            check_message(body, errors, prefix=("message",))
        tags = [str(t) for t in payload.get("applied_tags") or []]
        check_applied_tags(tags, (t.id for t in forum.available_tags), errors)
        refuse_if_any(errors, "forum post (Channel › Start Thread in Forum or Media Channel)")
        self._require_moderation(forum, user, (), tags)
        if forum.flags & ChannelFlag.REQUIRE_TAG and not tags:
            raise tag_required()
        assert isinstance(body, dict)
        thread = self._new_thread(forum, user, payload, ChannelType.PUBLIC_THREAD)
        thread.applied_tags = [int(t) for t in tags]
        guild = self.world.guild_of(forum)
        # An empty starter fails the whole post, before any thread exists.
        has_body = str(body.get("content") or "").strip() or body.get("embeds")
        if not (has_body or body.get("components") or files):
            raise empty_message()
        self.world.register_thread(guild, thread)
        forum.last_message_id = thread.id
        starter = self.create(
            thread,
            user,
            body,
            files=files,
            check_permissions=False,
            message_id=thread.id,
        )
        return thread, starter

    def _require_moderation(
        self, forum: Channel, user: User, before: Sequence[int], after: Sequence[str]
    ) -> None:
        """Channel › Forum Tag Object: a moderated tag "can only be added to or removed from
        threads by a member with the MANAGE_THREADS permission"."""
        if moderated_change(before, after, forum.available_tags):
            self.world.require(forum, user.id, Permission.MANAGE_THREADS)

    def _new_thread(
        self,
        parent: Channel,
        owner: User,
        payload: JSON,
        kind: ChannelType,
        *,
        thread_id: int | None = None,
    ) -> Channel:
        return Channel(
            id=thread_id if thread_id is not None else self.world.snowflakes.next(),
            guild_id=parent.guild_id,
            type=kind,
            name=str(payload["name"]).strip(),
            parent_id=parent.id,
            owner_id=owner.id,
            auto_archive_duration=int(payload.get("auto_archive_duration") or 1440),
            rate_limit_per_user=int(payload.get("rate_limit_per_user") or 0),
        )

    def edit_thread(self, thread: Channel, user: User, payload: JSON) -> Channel:
        """Rename, archive, lock or retag a thread, as ``check_thread_edit`` allows (a
        channel: with MANAGE_CHANNELS)."""
        if not thread.is_thread:
            self.world.require(thread, user.id, Permission.MANAGE_CHANNELS)
        else:
            check_thread_edit(self.world, thread, user.id, payload)
        errors = FormErrors()
        check_thread(payload, errors, name_required=False)
        parent = self.world.channels.get(thread.parent_id) if thread.parent_id else None
        tags = [str(t) for t in payload.get("applied_tags") or []]
        if parent is not None and parent.type in FORUM_TYPES:
            check_applied_tags(tags, (t.id for t in parent.available_tags), errors)
        refuse_if_any(errors, "thread edit (Channel › Modify Channel, JSON Params (Thread))")
        # Channel › Forum Tag Object: a moderated tag is added or removed with MANAGE_THREADS.
        if parent is not None and "applied_tags" in payload:
            self._require_moderation(parent, user, thread.applied_tags, tags)
        if "name" in payload:
            thread.name = str(payload["name"]).strip()
        if "topic" in payload and not thread.is_thread:
            thread.topic = payload["topic"]
        if "archived" in payload:
            thread.archived = bool(payload["archived"])
        if "locked" in payload:
            thread.locked = bool(payload["locked"])
        if "auto_archive_duration" in payload:
            thread.auto_archive_duration = int(payload["auto_archive_duration"])
        if "applied_tags" in payload:
            thread.applied_tags = [int(t) for t in payload["applied_tags"] or []]
        event = "THREAD_UPDATE" if thread.is_thread else "CHANNEL_UPDATE"
        self.world.events.dispatch(
            event, thread.payload(), guild_id=thread.guild_id, intent=Intent.GUILDS
        )
        self.world.touch()
        return thread

    # -- reactions ---------------------------------------------------------------------

    def react(
        self, channel: Channel, message: Message, user: User, emoji: str, *, check: bool = True
    ) -> None:
        """Add ``user``'s reaction; dispatch MESSAGE_REACTION_ADD (a repeat does nothing).

        With ``check``, Discord's refusals: a missing permission, an archived thread."""
        emoji_json = self._emoji(emoji)
        key = emoji_json["name"]
        existing = message.reactions.get(key)
        if check:
            needed = Permission.VIEW_CHANNEL | Permission.READ_MESSAGE_HISTORY
            if existing is None:
                needed |= Permission.ADD_REACTIONS
            self.world.require(channel, user.id, needed)
            check_reaction(channel)
        if existing is None:
            existing = message.reactions[key] = Reaction(emoji=emoji_json)
        if user.id in existing.user_ids:
            return
        existing.user_ids.append(user.id)
        self.world.events.dispatch(
            "MESSAGE_REACTION_ADD",
            self._reaction_event(channel, message, user, emoji_json, add=True),
            guild_id=channel.guild_id,
            intent=Intent.GUILD_MESSAGE_REACTIONS,
        )
        self.world.touch()

    def unreact(self, channel: Channel, message: Message, user: User, emoji: str) -> None:
        """Remove ``user``'s reaction; dispatch MESSAGE_REACTION_REMOVE (not in an archived
        thread)."""
        emoji_json = self._emoji(emoji)
        check_reaction(channel)
        existing = message.reactions.get(emoji_json["name"])
        if existing is None or user.id not in existing.user_ids:
            return
        existing.user_ids.remove(user.id)
        if not existing.user_ids:
            del message.reactions[emoji_json["name"]]
        self.world.events.dispatch(
            "MESSAGE_REACTION_REMOVE",
            self._reaction_event(channel, message, user, emoji_json, add=False),
            guild_id=channel.guild_id,
            intent=Intent.GUILD_MESSAGE_REACTIONS,
        )
        self.world.touch()

    @staticmethod
    def _emoji(emoji: str) -> JSON:
        # Only unicode emoji exist here: custom ones (name:id) are unknown to the emulator.
        if not emoji or ":" in emoji or emoji.isascii():
            raise unknown("Emoji")
        return {"id": None, "name": emoji}

    def _reaction_event(
        self, channel: Channel, message: Message, user: User, emoji: JSON, *, add: bool
    ) -> JSON:
        data: JSON = {
            "user_id": str(user.id),
            "channel_id": str(channel.id),
            "message_id": str(message.id),
            "guild_id": str(channel.guild_id),
            "emoji": emoji,
            "burst": False,
            "type": 0,
        }
        if add:
            member = self.world.guild_of(channel).members.get(user.id)
            if member is not None:
                data["member"] = member.payload()
            data["message_author_id"] = str(message.author.id)
            data["burst_colors"] = []
        return data


_SERVER_FLAGS = (
    MessageFlag.CROSSPOSTED
    | MessageFlag.IS_CROSSPOST
    | MessageFlag.HAS_THREAD
    | MessageFlag.LOADING
)
