"""Outlets: the I/O of publishing on each platform (the only publishing code that imports one)."""
