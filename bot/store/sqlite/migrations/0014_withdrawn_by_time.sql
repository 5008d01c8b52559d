-- Support taken back that no daily limit counts any more (given over a day ago, whoever gave
-- it) is deleted as more is taken back: one range of this index.
CREATE INDEX withdrawn_by_time ON withdrawn_support(suggested_at);
