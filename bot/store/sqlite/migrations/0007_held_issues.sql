-- Readers do not see an issue before its own publish_at, however it was ingested. Every reader
-- query leaves out the issues whose time may still be ahead: with this index, one short range.
CREATE INDEX issues_by_publish_at ON issues(publish_at) WHERE publish_at IS NOT NULL;
