-- Items written in full-width Latin letters or digits (ＯｐｅｎＡＩ, ＧＰＴ５, common in Japanese
-- text). A reader's search reads them as ASCII, but the index held ＯｐｅｎＡＩ as the word
-- ｏｐｅｎａｉ, which neither `openai` nor `ＯＰＥＮＡＩ` finds. The index now reads them as ASCII
-- too (`newsbot_cjk_index`, see bot.store.query.index_text): each item holding one gets its
-- text as the index reads it again, and the update triggers index it so, in both indexes.
--
-- Only those items are written and indexed again; `newsbot_wide_letters` tells them from the
-- rest (most, and all of an archive in English) at a glance, in about 0.6 s a million items
-- (a GLOB of the letters' range took 20 s).
UPDATE items SET
    title_cjk = newsbot_cjk_index(title),
    blurb_cjk = newsbot_cjk_index(blurb),
    abstract_cjk = newsbot_cjk_index(abstract)
WHERE newsbot_wide_letters(title) OR newsbot_wide_letters(blurb)
   OR newsbot_wide_letters(abstract);
