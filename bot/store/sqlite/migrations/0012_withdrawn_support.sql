-- The support a reader's reply took back (edited or deleted) still counts toward the reader's
-- daily limit: each is kept here with when it was given. One row per reader, reply and link,
-- so a link a reply gave up and put back counts once (from the latest time it was given).
CREATE TABLE withdrawn_support (
    user_id      INTEGER NOT NULL,
    message_id   INTEGER NOT NULL,
    url          TEXT NOT NULL,          -- the suggestion's normalised link
    suggested_at TEXT NOT NULL,          -- when the reply gave the support: what the limit counts
    PRIMARY KEY (user_id, message_id, url)
) STRICT;

-- A reader's withdrawn support of the last day is one range of this index (the daily limit).
CREATE INDEX withdrawn_by_user ON withdrawn_support(user_id, suggested_at);

-- Support taken back that no daily limit counts any more (given over a day ago, whoever gave
-- it) is deleted as more is taken back: one range of this index.
CREATE INDEX withdrawn_by_time ON withdrawn_support(suggested_at);
