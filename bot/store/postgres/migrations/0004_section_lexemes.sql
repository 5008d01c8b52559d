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
-- shifts the positions of its right side only, and this one has none). Every item is
-- rewritten, its prefixes generated again and both GIN indexes updated, in one transaction:
-- 6 s for 100,000 items on a small test machine, a minute or two for a million, while writes
-- to items wait; the table and its indexes take up to twice their room until vacuumed.
UPDATE items i SET words = i.words || array_to_tsvector(ARRAY['§' || s.slug])
FROM sections s WHERE s.id = i.section_id;

-- The planner needs the sections' lexemes counted before a search asks for one.
ANALYZE items;
