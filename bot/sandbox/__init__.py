"""Loopback emulators of the platforms newsbot talks to, for the demo and the tests."""
