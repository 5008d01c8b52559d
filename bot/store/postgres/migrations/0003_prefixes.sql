-- Each item's word prefixes of 2 and 3 letters, indexed on their own, as SQLite's index holds
-- them (FTS5's prefix='2 3'). Asked for `dat*`, the GIN index of `words` merges the matches
-- of every word starting with "dat" (250 ms at a million items); `prefixes` holds the lexeme
-- 'dat*' for each item with such a word, one lookup. Tokens never hold a '*', so these
-- lexemes are no word's.
--
-- Positionless, and in a column of their own: beside positions in `words`, a lexeme without
-- positions makes a phrase ending in a prefix miss ('x <-> dat:*' against 'x:2 data:3 dat*').
-- Generated from `words`, so the two never disagree, whoever writes an item.

CREATE FUNCTION newsbot_prefixes(words tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT array_to_tsvector(coalesce(array_agg(DISTINCT left(lexeme, size) || '*'), '{}'))
    FROM unnest(tsvector_to_array(words)) AS lexeme, (VALUES (2), (3)) AS sizes (size)
    WHERE char_length(lexeme) >= size
$$;

ALTER TABLE items
    ADD COLUMN prefixes TSVECTOR NOT NULL GENERATED ALWAYS AS (newsbot_prefixes(words)) STORED;

CREATE INDEX items_prefixes ON items USING gin (prefixes);

-- The planner needs the new column's statistics before a search asks it for a prefix.
ANALYZE items;
