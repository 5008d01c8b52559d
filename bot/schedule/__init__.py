"""When newsbot publishes on its own: the cron and its firings (`triggers`), and what a firing
does (`jobs`)."""
