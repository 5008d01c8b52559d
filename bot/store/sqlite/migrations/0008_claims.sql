-- Claims: which newsbot process is publishing an issue to a target right now, until when. Any
-- number of processes may share the archive; each publishes a target only under its claim, and
-- a crashed process's claim runs out (a lease), so another takes the publish over.
CREATE TABLE claims (
    issue_number INTEGER NOT NULL,
    outlet       TEXT NOT NULL,
    target       TEXT NOT NULL,
    holder       TEXT NOT NULL,        -- host:pid:random of the process holding it
    expires_at   TEXT NOT NULL,        -- UTC, ISO 8601 to the millisecond
    PRIMARY KEY (issue_number, outlet, target)
) STRICT;
