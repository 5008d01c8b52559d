-- Each section's names under each slug, with its newest issue, read from the index alone
-- (an index-only scan, grouped as it reads): the sections as readers know them today
-- (`IssueStore.sections_today`, which readers' autocomplete asks on each keystroke), as on
-- SQLite. `sections_by_slug` stays: a search in one section reads its span of issues.
CREATE INDEX IF NOT EXISTS sections_by_name ON sections (slug, name, issue_number);
