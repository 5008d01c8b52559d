"""The archive in one SQLite file: a module per aggregate, and the only SQL in newsbot."""
