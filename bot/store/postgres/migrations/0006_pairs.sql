-- Each item's pairs of adjacent words, indexed on their own: 'deep learning' for "Deep
-- learning". A GIN index of `words` knows which items hold a word, not where: asked for the
-- phrase "deep learning", it lists every item holding both words (a third of a million
-- items), and each is read to check that they meet (1.1 s). Asked for the pair, `pairs` lists
-- the items where they meet, and the phrase is checked on those alone. A phrase of more words
-- asks for each of its pairs; a CJK word is the phrase of its bigrams.
--
-- A pair joins two tokens with a space, which no token holds; one longer than a lexeme may be
-- is left out (the phrase is then checked on `words` alone, as before). Positionless lexemes
-- (a section's) have no neighbours. Generated from `words`, so the two never disagree.
CREATE FUNCTION newsbot_pairs(words tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    WITH placed AS (
        SELECT word.lexeme, place
        FROM unnest(words) AS word, unnest(word.positions) AS place
    )
    SELECT array_to_tsvector(coalesce(array_agg(DISTINCT one.lexeme || ' ' || next.lexeme), '{}'))
    FROM placed one JOIN placed next ON next.place = one.place + 1
    WHERE octet_length(one.lexeme) + 1 + octet_length(next.lexeme) <= 2046
$$;

ALTER TABLE items
    ADD COLUMN pairs TSVECTOR NOT NULL GENERATED ALWAYS AS (newsbot_pairs(words)) STORED;

CREATE INDEX items_pairs ON items USING gin (pairs);

-- The planner needs the pairs counted before a search asks for one.
ANALYZE items;
