-- Each item's pairs of adjacent words, indexed on their own. A GIN index of `words` knows
-- which items hold a word, not where: asked for the phrase "deep learning", it lists every
-- item holding both words (a third of a million items), and each is read to check that they
-- meet (1.1 s). `pairs` lists the items where "deep" is followed by "learning", and the phrase
-- is checked on those alone. A phrase of more words asks for each of its pairs; a CJK word is
-- the phrase of its bigrams.
--
-- A pair's lexeme is the head of the MD5 of its two tokens joined by a space (no token holds
-- one): five hexadecimal letters, a million lexemes in all (`words.pair_lexeme` writes the
-- same). A lexeme of each pair made an index five times the size of `words`' own; shared by
-- about forty pairs at a million items, it lists a few items where the words do not meet,
-- which the check on `words` leaves out. Positionless lexemes (a section's) have no
-- neighbours.
--
-- Indexed as computed from `words`, never stored: the two cannot disagree, the items' rows
-- stay as narrow as they were (a column of pairs made them a seventh wider, and every walk in
-- id order slower), and adding the index rewrites no item.
CREATE FUNCTION newsbot_pairs(words tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    WITH placed AS (
        SELECT word.lexeme, place
        FROM unnest(words) AS word, unnest(word.positions) AS place
    )
    SELECT array_to_tsvector(
        coalesce(array_agg(DISTINCT left(md5(one.lexeme || ' ' || next.lexeme), 5)), '{}')
    )
    FROM placed one JOIN placed next ON next.place = one.place + 1
$$;

CREATE INDEX items_pairs ON items USING gin (newsbot_pairs(words));

-- The planner needs the pairs counted (an expression index's statistics are the table's)
-- before a search asks for one.
ANALYZE items;
