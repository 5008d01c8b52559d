-- What the bot last read in each reader's reply (its links, and those it did not take): an
-- edit of a reply out of discord.py's message cache, after a restart too, is then answered
-- only for what is new in it.
CREATE TABLE replies_read (
    message_id BIGINT PRIMARY KEY,
    scan       TEXT NOT NULL
);
