-- Items written in full-width Latin letters or digits (ＯｐｅｎＡＩ, ＧＰＴ５, common in Japanese
-- text). A reader's search reads them as ASCII, but `words` held ＯｐｅｎＡＩ as the lexeme
-- 'ｏｐｅｎａｉ', which neither `openai` nor `ＯＰＥＮＡＩ` finds. newsbot now indexes them as
-- ASCII (bot.store.query.index_text): each item holding one gets its lexemes so.
--
-- A full-width letter or digit is one letter of its word, as its ASCII form is, and is folded
-- to lower case as ASCII is: each lexeme becomes the one newsbot now writes, at the same
-- positions (tsvector input merges the positions of two lexemes that become one). A section's
-- lexeme ('§' and its slug) names it as written and is kept.
CREATE FUNCTION newsbot_narrowed_words(words tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(string_agg(
        '''' || replace(replace(word.narrowed, '\', '\\'), '''', '''''') || ''''
        || coalesce(':' || (
            SELECT string_agg(place::text || weight, ',')
            FROM unnest(word.positions, word.weights) AS placed (place, weight)
        ), ''),
        ' '
    ), '')::tsvector
    FROM (
        SELECT CASE WHEN left(lexeme, 1) = '§' THEN lexeme
                    ELSE translate(lexeme,
                                   'ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ０１２３４５６７８９',
                                   'abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz0123456789')
               END AS narrowed,
               positions, weights
        FROM unnest(words)
    ) AS word
$$;

-- Only the items whose text holds a full-width letter or digit are rewritten (and their
-- entries in the indexes of words, prefixes and pairs): most, and all of an archive in
-- English, are read once and left as they are.
UPDATE items SET words = newsbot_narrowed_words(words)
WHERE title ~ '[０-９Ａ-Ｚａ-ｚ]' OR blurb ~ '[０-９Ａ-Ｚａ-ｚ]' OR abstract ~ '[０-９Ａ-Ｚａ-ｚ]';

DROP FUNCTION newsbot_narrowed_words(tsvector);
