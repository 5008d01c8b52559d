"""Every option with choices offers them within Discord's 3 s, or none (cogs/choices.py):
tests/test_postgres_outage.py types into options while the archive's server is down."""

from __future__ import annotations

from discord import app_commands

from bot.app import Newsbot
from cogs.choices import GUARDED


async def test_every_option_offering_choices_offers_them_in_time_or_none(newsbot: Newsbot) -> None:
    # The public `Parameter.autocomplete` only says whether there is a callback; discord.py
    # keeps the callback itself in the command's `_params`.
    options = [
        (command.qualified_name, name, parameter.autocomplete)
        for command in newsbot.tree.walk_commands()
        if isinstance(command, app_commands.Command)
        for name, parameter in command._params.items()
        if parameter.autocomplete is not None
    ]
    assert len(options) >= 9, options
    assert [(c, p) for c, p, callback in options if callback not in GUARDED] == []
