-- Where the newest items' own full-text indexes begin (bot/store/postgres/recent.py): partial
-- GIN indexes over the items from `first_id` on, made and moved by newsbot as the archive grows.
-- No row: no such indexes (an archive too small to need them).
CREATE TABLE search_window (
    first_id BIGINT NOT NULL       -- the first item id of an issue; every later item is indexed
);
