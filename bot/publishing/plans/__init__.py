"""Each outlet's pure plan: an issue's steps for one target, named after the platform."""
