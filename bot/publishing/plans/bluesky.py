"""An issue's thread on Bluesky as steps with stable keys: what to post, in which order.

Pure, like `plans/x.py`: no I/O and no platform library. Each post is a step keyed
`202/bluesky/post/3` (the lead is post 1); every reply names the lead as its root and the post
before as its parent. A post's ledger id is its strong reference (`RecordRef`): the record key
and the CID, which the replies after it must quote exactly.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.models import Issue
from bot.publishing.plans._threads import POST, REPLY, thread_steps
from bot.publishing.plans._threads import TARGET as TARGET
from bot.publishing.plans._threads import Account as Account
from bot.publishing.steps import Payload, Step
from bot.render.bluesky import RichText, Thread, rich_text, thread
from bot.settings import BlueskySettings

OUTLET = "bluesky"
COLLECTION = "app.bsky.feed.post"

TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
"""base32-sortable: a TID is a 64-bit number in 13 of these (atproto.com/specs/tid)."""
TID_BITS = 64
CID_PREFIX = "b"
"""A CID as text: multibase base32 (lower case, unpadded) of its bytes."""


class Action(enum.StrEnum):
    """What a step does on Bluesky."""

    POST = POST
    """The thread's first post."""
    REPLY = REPLY
    """A reply in the thread: root the first post, parent the one before."""


ACCOUNT = Account()
"""The Bluesky account the handle names: the one target on Bluesky."""


@dataclass(frozen=True)
class RecordRef:
    """A post's strong reference, less the account: its record key (a TID) and its CID.

    The engine keeps one number per step; a reference is kept as one, the CID's bytes above the
    TID's 64 bits, so the ledger alone gives every later reply its `reply.root`/`.parent`.
    """

    rkey: str
    cid: str

    def to_id(self) -> int:
        """The reference as the ledger's remote id."""
        number = 0
        for char in self.rkey:
            number = number << 5 | TID_ALPHABET.index(char)
        raw = self.cid.removeprefix(CID_PREFIX).upper()
        cid = base64.b32decode(raw + "=" * (-len(raw) % 8))
        return int.from_bytes(cid, "big") << TID_BITS | number

    @classmethod
    def from_id(cls, remote_id: int) -> RecordRef:
        """The reference a ledger id holds."""
        number = remote_id & (2**TID_BITS - 1)
        rkey = "".join(TID_ALPHABET[(number >> (5 * (12 - i))) & 31] for i in range(13))
        cid_number = remote_id >> TID_BITS
        cid = cid_number.to_bytes((cid_number.bit_length() + 7) // 8, "big")
        return cls(rkey, CID_PREFIX + base64.b32encode(cid).decode().lower().rstrip("="))

    @staticmethod
    def is_tid(rkey: str) -> bool:
        """Whether a record key is a TID (the only keys a post gets from the PDS)."""
        first = TID_ALPHABET[:16]  # the top bit of a TID is 0
        return len(rkey) == 13 and rkey[0] in first and all(c in TID_ALPHABET for c in rkey)

    @staticmethod
    def tid_at(when: dt.datetime) -> str:
        """The lowest TID of the time `when`: a TID is the microseconds since the epoch above
        a 10-bit clock id, and sorts as its time does (atproto.com/specs/tid)."""
        micros = int(when.timestamp() * 1_000_000)
        return "".join(TID_ALPHABET[(micros << 10 >> (5 * (12 - i))) & 31] for i in range(13))

    def uri(self, did: str) -> str:
        """`at://did/app.bsky.feed.post/rkey`."""
        return f"at://{did}/{COLLECTION}/{self.rkey}"

    def strong(self, did: str) -> dict[str, str]:
        """`com.atproto.repo.strongRef`: the record's URI and CID."""
        return {"uri": self.uri(did), "cid": self.cid}


def plan(issue: Issue, settings: BlueskySettings) -> tuple[Thread, list[Step[Account]]]:
    """The issue's thread as rendered for these settings, and its steps in order: the lead, then
    each post replying to the one before (and naming the lead as its root)."""
    rendered = thread(issue, max_posts=settings.max_posts)
    payloads = [_sent(rich_text(post.text)) for post in rendered.posts]
    return rendered, thread_steps(OUTLET, issue.number, ACCOUNT, payloads, needs_lead=True)


def _sent(sent: RichText) -> Callable[[Mapping[str, int]], Payload]:
    facets = [facet.to_record() for facet in sent.facets]
    return lambda _: {"text": sent.text, "facets": facets}
