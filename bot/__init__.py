"""newsbot: a newsletter's issues, archived, searchable and published to Discord and X."""

__version__ = "0.1.0"
