"""Third-party code newsbot ships a copy of; README.md here says what, whence and what changed."""
