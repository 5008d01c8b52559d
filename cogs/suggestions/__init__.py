"""Reader suggestions: /suggest, the "Suggest for the newsletter" menu, replies in threads,
and /suggestions review and export for the editors."""

from __future__ import annotations

from bot.app import Newsbot
from cogs.suggestions._cog import Suggestions


async def setup(bot: Newsbot) -> None:
    """Load the suggestion commands, the reply listener and the persistent review components."""
    await bot.add_cog(Suggestions(bot))
