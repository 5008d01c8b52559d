"""The SQL of a search's `section` filter on PostgreSQL (`statement.py` writes it into a
search): the section's lexeme asked of the index with the query's words, and under a slug
an older newsbot gave other sections too, only the items of the section's names
(`bot.store.sections`)."""

from __future__ import annotations

from typing import Any

from bot.store.postgres.words import section_lexeme
from bot.store.sections import SoughtSection


def sought(section: str | SoughtSection) -> SoughtSection:
    """The section a filter names: a slug alone is that slug's section."""
    return section if isinstance(section, SoughtSection) else SoughtSection(section)


def section_query(section: SoughtSection) -> str | None:
    """The tsquery (as text) of the items in `section`'s slugs, by their sections' lexemes
    (`section_lexeme`); None when its slug can be no lexeme (no item is in it)."""
    lexeme = section_lexeme(section.slug)
    older = section_lexeme(section.older) if section.older is not None else None
    return lexeme if lexeme is None or older is None else f"({lexeme} | {older})"


def section_newest(section: SoughtSection, params: dict[str, Any], clauses: list[str]) -> str:
    """The query of the newest issue holding `section` (its parameters put in `params`), and
    in `clauses` the condition keeping, under its older slug, only the items of its names."""
    newest = "SELECT max(issue_number) FROM sections WHERE slug"
    params["section"] = section.slug
    if section.older is None:
        return f"{newest} = %(section)s"
    params["older"] = section.older
    if section.names is not None:
        params["older_names"] = list(section.names)
        clauses.append(
            "AND EXISTS (SELECT FROM sections s WHERE s.id = i.section_id"
            " AND (s.slug <> %(older)s OR s.name = ANY(%(older_names)s)))"
        )
    return f"{newest} IN (%(section)s, %(older)s)"
