-- The names a channel's sections were chosen by, as a JSON list (NULL for a channel set up
-- before they were kept). Its slugs alone cannot tell what a channel set up then meant by
-- `ai`: "AI", or "AI ニュース", which an older newsbot slugged `ai` too; with the names, a
-- section slugged so only then goes to the channels that chose it by its name.
ALTER TABLE subscriptions ADD COLUMN section_names TEXT;
