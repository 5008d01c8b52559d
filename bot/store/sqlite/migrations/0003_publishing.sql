-- Publishing: the channels that receive each issue, and the outbox ledger of every step posted.

-- A Discord channel subscribed with /newsletter setup (config-declared targets are not stored).
CREATE TABLE subscriptions (
    channel_id        INTEGER PRIMARY KEY,
    guild_id          INTEGER NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('text', 'announcement', 'forum')),
    role_id           INTEGER,          -- pinged by the digest; the "Notify me" button gives it
    sections          TEXT NOT NULL,    -- JSON list of section slugs; [] means every section
    alerts_channel_id INTEGER,          -- told when publishing to this channel fails
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
) STRICT;

CREATE INDEX subscriptions_by_guild ON subscriptions(guild_id);

-- One row per step of a publish (`202/discord/<channel>/thread/industry/message/1`): written
-- before the call (sending) and after it (sent with the remote id, or failed with the reason),
-- so a restart resumes where it stopped and never repeats a step that was sent.
CREATE TABLE outbox (
    key          TEXT PRIMARY KEY,
    issue_number INTEGER NOT NULL,
    outlet       TEXT NOT NULL,         -- 'discord'
    target       TEXT NOT NULL,         -- the channel (or account) the step belongs to
    action       TEXT NOT NULL,         -- what the step does: thread, message, post, crosspost …
    state        TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'removed')),
    payload_hash TEXT,                  -- of the payload last sent (or being sent)
    remote_id    TEXT,                  -- the message or thread id the platform gave
    location_id  TEXT,                  -- where the remote object lives (channel or thread id)
    reason       TEXT,                  -- why the last attempt failed
    attempts     INTEGER NOT NULL DEFAULT 0,
    updated_at   TEXT NOT NULL
) STRICT;

CREATE INDEX outbox_by_target ON outbox(issue_number, outlet, target);
