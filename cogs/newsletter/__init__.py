"""Newsletter commands for server managers: /newsletter setup, status, publish… and Notify me."""

from __future__ import annotations

from bot.app import Newsbot
from cogs.newsletter._cog import Newsletter
from cogs.newsletter._server_changes import ServerChanges


async def setup(bot: Newsbot) -> None:
    """Load the newsletter commands and the persistent "Notify me" button into the bot, and
    follow what the servers change of their channels and roles."""
    await bot.add_cog(Newsletter(bot))
    await bot.add_cog(ServerChanges(bot))
