-- The indexes of words and of pairs also list each item under its era: the 512 issues its
-- id's high bits name (`id >> 29`, an id being the issue number shifted by 20 bits;
-- `statement.ERA_BITS`). A GIN index lists matches in no order, so a search that ranks the
-- newest 1,000 matches read the rows of every match to find them, or walked every item newest
-- first. At a million items: a word in 14,000 items until 1955 read all 14,000 rows to keep
-- 5,000 (26 ms); a word in a section walked 38,000 items (22 ms); a phrase of common words in
-- 3,200 items read them all (12 ms). Asked era by era, newest first, for the words (or the
-- pairs) and the era together, an index lists the newest matches first, and the search stops
-- once it holds enough: 1.5, 1.9 and 2.3 ms.
--
-- An era is a lexeme of its own column of each index, not one of `words`: no item's row is
-- rewritten, a search of words or pairs alone reads its index as before, and no word can meet
-- an era. Building the two indexes again takes about five minutes at a million items (the pairs
-- are computed again for each item), while readers and writers of items wait; a few seconds at
-- ten thousand.
CREATE FUNCTION newsbot_era(id BIGINT) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT array_to_tsvector(ARRAY[(id >> 29)::text])
$$;

-- The sort of a million items' entries in memory, not in many passes over temporary files.
SET LOCAL maintenance_work_mem = '256MB';

DROP INDEX items_words;
CREATE INDEX items_words ON items USING gin (words, newsbot_era(id));
DROP INDEX items_pairs;
CREATE INDEX items_pairs ON items USING gin (newsbot_pairs(words), newsbot_era(id));

ANALYZE items;
