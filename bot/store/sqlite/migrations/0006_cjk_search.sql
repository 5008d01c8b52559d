-- Words inside Chinese, Japanese and Korean text. unicode61 keeps a run of CJK letters as one
-- token ("最新の機械学習ニュース"), so a word inside it was never found. The index now reads each
-- item through `items_indexed`, where a field holding CJK letters has every run written as its
-- overlapping bigrams (`newsbot_cjk_index`, see bot.store.query.cjk_index_text); the items keep
-- their text as written.

-- The field as the index reads it, or NULL when it has no CJK letters (most items).
ALTER TABLE items ADD COLUMN title_cjk TEXT;
ALTER TABLE items ADD COLUMN blurb_cjk TEXT;
ALTER TABLE items ADD COLUMN abstract_cjk TEXT;

DROP TRIGGER IF EXISTS items_fts_insert;
DROP TRIGGER IF EXISTS items_fts_delete;
DROP TRIGGER IF EXISTS items_fts_update;
DROP TABLE IF EXISTS items_fts;

-- Before the new triggers exist: filling the columns must not touch the index, rebuilt below.
UPDATE items SET
    title_cjk = newsbot_cjk_index(title),
    blurb_cjk = newsbot_cjk_index(blurb),
    abstract_cjk = newsbot_cjk_index(abstract)
WHERE coalesce(newsbot_cjk_index(title), newsbot_cjk_index(blurb),
               newsbot_cjk_index(abstract)) IS NOT NULL;

CREATE VIEW items_indexed (id, title, blurb, abstract) AS
    SELECT id, coalesce(title_cjk, title), coalesce(blurb_cjk, blurb),
           coalesce(abstract_cjk, abstract)
    FROM items;

CREATE VIRTUAL TABLE items_fts USING fts5(
    title, blurb, abstract,
    content = 'items_indexed', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);

-- Titles weigh most, then blurbs, then long abstracts; `ORDER BY rank` uses these weights.
INSERT INTO items_fts (items_fts, rank) VALUES ('rank', 'bm25(10.0, 2.0, 1.0)');

CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN
    INSERT INTO items_fts (rowid, title, blurb, abstract)
    VALUES (new.id, coalesce(new.title_cjk, new.title), coalesce(new.blurb_cjk, new.blurb),
            coalesce(new.abstract_cjk, new.abstract));
END;

CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
    INSERT INTO items_fts (items_fts, rowid, title, blurb, abstract)
    VALUES ('delete', old.id, coalesce(old.title_cjk, old.title),
            coalesce(old.blurb_cjk, old.blurb), coalesce(old.abstract_cjk, old.abstract));
END;

CREATE TRIGGER items_fts_update
AFTER UPDATE OF title, blurb, abstract, title_cjk, blurb_cjk, abstract_cjk ON items BEGIN
    INSERT INTO items_fts (items_fts, rowid, title, blurb, abstract)
    VALUES ('delete', old.id, coalesce(old.title_cjk, old.title),
            coalesce(old.blurb_cjk, old.blurb), coalesce(old.abstract_cjk, old.abstract));
    INSERT INTO items_fts (rowid, title, blurb, abstract)
    VALUES (new.id, coalesce(new.title_cjk, new.title), coalesce(new.blurb_cjk, new.blurb),
            coalesce(new.abstract_cjk, new.abstract));
END;

INSERT INTO items_fts (items_fts) VALUES ('rebuild');
