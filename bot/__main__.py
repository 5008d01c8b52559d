"""`python -m bot` runs the newsbot CLI."""

from bot.cli import main

if __name__ == "__main__":
    main()
