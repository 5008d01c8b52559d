"""The SQL of a search's `section` filter on PostgreSQL (`statement.py` writes it into a
search): the section's lexeme asked of the index with the query's words, and under a slug
an older newsbot gave other sections too, only the items of the section's names
(`bot.store.sections`)."""

from __future__ import annotations

from typing import Any

from bot.store.postgres.words import section_lexeme
from bot.store.sections import SoughtSection


def section_query(section: SoughtSection) -> str | None:
    """The tsquery (as text) of the items in `section`'s slugs, by their sections' lexemes
    (`section_lexeme`); None when its slug can be no lexeme (no item is in it)."""
    lexeme = section_lexeme(section.slug)
    older = section_lexeme(section.older) if section.older is not None else None
    return lexeme if lexeme is None or older is None else f"({lexeme} | {older})"


def section_newest(section: SoughtSection, params: dict[str, Any], clauses: list[str]) -> str:
    """The query of the newest issue holding `section` (its parameters put in `params`), and
    in `clauses` the condition keeping, under a slug other sections have too, only the items
    of its names."""
    newest = "SELECT max(issue_number) FROM sections WHERE slug"
    params["section"] = section.slug
    under = [_under("section", section.names, params)]
    if section.older is not None:
        params["older"] = section.older
        under.append(_under("older", section.older_names, params))
    if section.names is not None or section.older_names is not None:
        named = " OR ".join(under)
        clauses.append(
            f"AND EXISTS (SELECT FROM sections s WHERE s.id = i.section_id AND ({named}))"
        )
    if section.older is None:
        return f"{newest} = %(section)s"
    return f"{newest} IN (%(section)s, %(older)s)"


def _under(slug: str, names: tuple[str, ...] | None, params: dict[str, Any]) -> str:
    """The condition on `s` of a section under the slug of parameter `slug`, named one of
    `names` (any with None)."""
    if names is None:
        return f"s.slug = %({slug})s"
    params[f"{slug}_names"] = list(names)
    return f"s.slug = %({slug})s AND s.name = ANY(%({slug}_names)s)"
