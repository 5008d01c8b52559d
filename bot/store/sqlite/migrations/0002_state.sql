-- Small facts newsbot keeps between runs, such as the fingerprint of the last command sync.

CREATE TABLE state (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
