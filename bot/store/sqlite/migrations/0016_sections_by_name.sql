-- Each section's names under each slug, with its newest issue, read from the index alone:
-- the sections as readers know them today (`IssueStore.sections_today`, which readers'
-- autocomplete asks on each keystroke) were grouped by slug and name in a temporary B-tree
-- from every section row, about five times the time `section_names` takes, and growing with
-- the archive. `sections_by_slug` stays: a search in one section reads its span of issues.
CREATE INDEX IF NOT EXISTS sections_by_name ON sections(slug, name, issue_number);
