-- The schedule: an issue may name its own publishing time, and the steps not yet done are
-- found without reading the whole ledger (at every firing, at start and for `newsbot status`).

-- ISO 8601 date and time; without a UTC offset it is read in schedule.timezone.
ALTER TABLE issues ADD COLUMN publish_at TEXT;

CREATE INDEX outbox_unfinished ON outbox(issue_number, outlet, target)
    WHERE state IN ('pending', 'sending', 'failed');
