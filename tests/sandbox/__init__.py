"""Tests of the platform emulators in bot/sandbox, driven by the real clients."""
