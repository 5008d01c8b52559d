-- Each item's words name its section: one positionless lexeme, '§' and the section's slug
-- ('§tools'). A search in a section then asks the GIN index of `words` for the query's words
-- and the section at once, and reads the section's matches alone, not every match of the word.
-- '§' is a separator to the tokenizer: no word and no query prefix starts with it, so no
-- search but a section's finds the lexeme, and a phrase never meets it.
--
-- Its prefixes ('§t*', '§to*') are no query's either: `prefixes` leaves them out.
CREATE OR REPLACE FUNCTION newsbot_prefixes(words tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT array_to_tsvector(coalesce(array_agg(DISTINCT left(lexeme, size) || '*'), '{}'))
    FROM unnest(tsvector_to_array(words)) AS lexeme, (VALUES (2), (3)) AS sizes (size)
    WHERE char_length(lexeme) >= size AND left(lexeme, 1) <> '§'
$$;

-- Concatenated after the words, a lexeme without positions leaves theirs as they are (`||`
-- shifts the positions of its right side only, and this one has none). One ALTER TABLE
-- rewrites every item once, in the order they are stored (an UPDATE would leave a dead copy of
-- each and store the new ones in the join's order, which a walk in id order pays for), and
-- builds every index again: about two minutes at a million items, while readers and writers
-- of items wait. `prefixes`, generated from `words`, is made again with it (a column whose type
-- changes cannot feed a generated one); newsbot builds its window's index again after.
CREATE FUNCTION newsbot_section_words(words tsvector, section BIGINT) RETURNS tsvector
LANGUAGE sql STABLE AS $$
    SELECT words || array_to_tsvector(ARRAY['§' || slug]) FROM sections WHERE id = section
$$;

-- The rewrite also keeps `words` in its row, compressed, rather than in the TOAST table: a
-- phrase is checked, and every candidate ranked, against the positions `words` holds, and an
-- item with a long CJK text (its bigrams make a tsvector of 1.5 KB) was fetched from TOAST for
-- each, four pages a time (3,000 pages to rank a CJK word's 840 matches).
ALTER TABLE items
    DROP COLUMN prefixes,
    ALTER COLUMN words SET STORAGE MAIN,
    ALTER COLUMN words TYPE tsvector USING newsbot_section_words(words, section_id),
    ADD COLUMN prefixes TSVECTOR NOT NULL GENERATED ALWAYS AS (newsbot_prefixes(words)) STORED;

DROP FUNCTION newsbot_section_words(tsvector, BIGINT);

CREATE INDEX items_prefixes ON items USING gin (prefixes);

-- The planner needs the sections' lexemes counted before a search asks for one.
ANALYZE items;
