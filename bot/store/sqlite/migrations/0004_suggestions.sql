-- Reader suggestions: links readers share for the next issue, and who shared them; plus the
-- normalised link of every archived item, to tell a reader "already in #202" and to mark a
-- suggestion published once an issue containing it is ingested.

CREATE TABLE suggestions (
    id           INTEGER PRIMARY KEY,
    url          TEXT NOT NULL UNIQUE,   -- normalised by bot.suggestions.normalise
    status       TEXT NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'accepted', 'rejected', 'published')),
    section      TEXT,                   -- slug of the section it is meant for, if any
    title        TEXT,                   -- the page's <title>, when fetched
    issue_number INTEGER,                -- the issue it was published in
    reviewed_by  TEXT,                   -- who accepted or rejected it (a Discord user, or cli)
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
) STRICT;

CREATE INDEX suggestions_by_status ON suggestions(status);

-- One row per reader per suggestion: the first is who suggested it, the others are +1s.
CREATE TABLE suggestion_supporters (
    suggestion_id INTEGER NOT NULL REFERENCES suggestions(id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL,
    name          TEXT NOT NULL,         -- the reader's display name when they suggested it
    note          TEXT,
    source        TEXT NOT NULL,         -- 'command', 'menu' or 'reply'
    guild_id      INTEGER,
    channel_id    INTEGER,
    message_id    INTEGER,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (suggestion_id, user_id)
) STRICT;

-- A reader's suggestions of the last day are one range of this index (the daily limit).
CREATE INDEX supporters_by_user ON suggestion_supporters(user_id, created_at);

-- The normalised link of each archived item. Normalising is Python's job, so triggers only
-- queue the items whose link changed; the archive fills `item_links` from the queue before
-- it looks a link up.
CREATE TABLE item_links (
    item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
    url     TEXT NOT NULL
) STRICT;

CREATE INDEX item_links_by_url ON item_links(url);

CREATE TABLE item_links_pending (
    item_id INTEGER PRIMARY KEY
) STRICT;

CREATE TRIGGER item_links_insert AFTER INSERT ON items WHEN new.link IS NOT NULL BEGIN
    INSERT OR IGNORE INTO item_links_pending (item_id) VALUES (new.id);
END;

CREATE TRIGGER item_links_update AFTER UPDATE OF link ON items BEGIN
    DELETE FROM item_links WHERE item_id = new.id;
    INSERT OR IGNORE INTO item_links_pending (item_id) SELECT new.id WHERE new.link IS NOT NULL;
END;

CREATE TRIGGER item_links_delete AFTER DELETE ON items BEGIN
    DELETE FROM item_links_pending WHERE item_id = old.id;
END;

INSERT INTO item_links_pending (item_id) SELECT id FROM items WHERE link IS NOT NULL;

-- Replies in newsbot's section threads and forum posts: is this channel one of ours?
CREATE INDEX outbox_threads ON outbox(remote_id) WHERE action IN ('thread', 'post');
