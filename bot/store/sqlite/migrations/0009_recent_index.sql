-- A second full-text index over the newest items alone (about RECENT_ITEMS, whole issues: see
-- bot/store/sqlite/recent.py). bm25 counts every item a word matches in the index it ranks
-- from: for a word in 40 % of a million items that count is most of a search's time. A word
-- whose newest 1,000 matches all lie among the newest items is ranked here, where the count
-- is a few thousand; the candidates are the same newest 1,000 either way.

CREATE VIRTUAL TABLE items_recent_fts USING fts5(
    title, blurb, abstract,
    content = 'items_indexed', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);

INSERT INTO items_recent_fts (items_recent_fts, rank) VALUES ('rank', 'bm25(10.0, 2.0, 1.0)');

-- The index holds exactly the items of issues first_issue to last_issue. It starts empty; an
-- ingest fills it (`refresh` in recent.py), and until then searches use the whole index.
CREATE TABLE recent_window (
    only        INTEGER PRIMARY KEY CHECK (only = 1),
    first_issue INTEGER NOT NULL,
    last_issue  INTEGER NOT NULL
) STRICT;

INSERT INTO recent_window (only, first_issue, last_issue) VALUES (1, 1, 0);

-- Edits to items inside the window keep the index exact; items of newer issues join it when
-- the ingest that stored them refreshes the window.
CREATE TRIGGER items_recent_insert AFTER INSERT ON items
WHEN new.issue_number BETWEEN (SELECT first_issue FROM recent_window)
                          AND (SELECT last_issue FROM recent_window) BEGIN
    INSERT INTO items_recent_fts (rowid, title, blurb, abstract)
    VALUES (new.id, coalesce(new.title_cjk, new.title), coalesce(new.blurb_cjk, new.blurb),
            coalesce(new.abstract_cjk, new.abstract));
END;

CREATE TRIGGER items_recent_delete AFTER DELETE ON items
WHEN old.issue_number BETWEEN (SELECT first_issue FROM recent_window)
                          AND (SELECT last_issue FROM recent_window) BEGIN
    INSERT INTO items_recent_fts (items_recent_fts, rowid, title, blurb, abstract)
    VALUES ('delete', old.id, coalesce(old.title_cjk, old.title),
            coalesce(old.blurb_cjk, old.blurb), coalesce(old.abstract_cjk, old.abstract));
END;

CREATE TRIGGER items_recent_update
AFTER UPDATE OF title, blurb, abstract, title_cjk, blurb_cjk, abstract_cjk ON items
WHEN old.issue_number BETWEEN (SELECT first_issue FROM recent_window)
                          AND (SELECT last_issue FROM recent_window) BEGIN
    INSERT INTO items_recent_fts (items_recent_fts, rowid, title, blurb, abstract)
    VALUES ('delete', old.id, coalesce(old.title_cjk, old.title),
            coalesce(old.blurb_cjk, old.blurb), coalesce(old.abstract_cjk, old.abstract));
    INSERT INTO items_recent_fts (rowid, title, blurb, abstract)
    VALUES (new.id, coalesce(new.title_cjk, new.title), coalesce(new.blurb_cjk, new.blurb),
            coalesce(new.abstract_cjk, new.abstract));
END;
