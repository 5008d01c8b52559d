-- The archive: issues, their sections and items, and a full-text index over the items.

CREATE TABLE issues (
    number       INTEGER PRIMARY KEY,
    title        TEXT NOT NULL,
    subtitle     TEXT,
    date         TEXT,                 -- ISO 8601 date, or NULL when unknown
    link         TEXT,
    intro        TEXT NOT NULL,
    content_hash TEXT NOT NULL,        -- of the validated issue; equal hash = nothing to update
    source_path  TEXT,
    next_slot    INTEGER NOT NULL,     -- item ids are never reused, even after a deletion
    ingested_at  TEXT NOT NULL,
    updated_at   TEXT NOT NULL
) STRICT;

CREATE INDEX issues_by_date ON issues(date);

CREATE TABLE sections (
    id           INTEGER PRIMARY KEY,
    issue_number INTEGER NOT NULL REFERENCES issues(number) ON DELETE CASCADE,
    slug         TEXT NOT NULL,
    name         TEXT NOT NULL,
    position     INTEGER NOT NULL,
    UNIQUE (issue_number, slug)
) STRICT;

-- With the issue number, the first and last issue of a section are one lookup each: a search
-- filtered by section scans only that span of the full-text index.
CREATE INDEX sections_by_slug ON sections(slug, issue_number);

-- An item's id is (issue number << 20) | slot: stable across edits, and ordered like the
-- issues, so "newest first" is rowid order in the full-text index.
CREATE TABLE items (
    id           INTEGER PRIMARY KEY,
    issue_number INTEGER NOT NULL REFERENCES issues(number) ON DELETE CASCADE,
    section_id   INTEGER NOT NULL REFERENCES sections(id) ON DELETE CASCADE,
    key          TEXT NOT NULL,        -- the item's link, else its slugged title
    position     INTEGER NOT NULL,
    title        TEXT NOT NULL,
    link         TEXT,
    blurb        TEXT NOT NULL,
    abstract     TEXT,
    editor_note  TEXT,
    UNIQUE (issue_number, key)
) STRICT;

CREATE INDEX items_by_section ON items(section_id);
CREATE INDEX items_by_link ON items(link) WHERE link IS NOT NULL;

CREATE VIRTUAL TABLE items_fts USING fts5(
    title, blurb, abstract,
    content = 'items', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);

-- Titles weigh most, then blurbs, then long abstracts; `ORDER BY rank` uses these weights.
INSERT INTO items_fts (items_fts, rank) VALUES ('rank', 'bm25(10.0, 2.0, 1.0)');

CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN
    INSERT INTO items_fts (rowid, title, blurb, abstract)
    VALUES (new.id, new.title, new.blurb, new.abstract);
END;

CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
    INSERT INTO items_fts (items_fts, rowid, title, blurb, abstract)
    VALUES ('delete', old.id, old.title, old.blurb, old.abstract);
END;

CREATE TRIGGER items_fts_update AFTER UPDATE OF title, blurb, abstract ON items BEGIN
    INSERT INTO items_fts (items_fts, rowid, title, blurb, abstract)
    VALUES ('delete', old.id, old.title, old.blurb, old.abstract);
    INSERT INTO items_fts (rowid, title, blurb, abstract)
    VALUES (new.id, new.title, new.blurb, new.abstract);
END;
