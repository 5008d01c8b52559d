"""Reader commands: /latest, /issue, /search and the "Find related links" menu."""

from __future__ import annotations

from bot.app import Newsbot
from cogs.reader._cog import Reader


async def setup(bot: Newsbot) -> None:
    """Load the reader commands into the bot."""
    await bot.add_cog(Reader(bot, bot.archive))
