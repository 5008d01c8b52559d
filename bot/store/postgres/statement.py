"""The SQL of a search on PostgreSQL (`search.py` runs it): one statement that finds a page of
matches, ranked or newest first, within what the filters allow, the issues readers cannot see
yet left out; and the short statement that first finds the filters' issue bounds. Module-level
so that the benchmarks run the very same SQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from bot.store.ingest import SLOT_BITS
from bot.store.postgres.sections import section_newest, section_query
from bot.store.postgres.words import Matching
from bot.store.query import SEARCH_CANDIDATES
from bot.store.sections import SoughtSection

WALKED_ITEMS = 1_000
"""How many of the newest items an unranked search reads in id order before it asks the index."""
RANGE_WALKED_ITEMS = 30_000
"""How many of the newest items a date window allows a ranked search of a very common word
walks before it asks the index: enough for a word in 4 % of them to find its newest 1,000
matches, and about 17 ms when they hold too few."""
ERA_BITS = SLOT_BITS + 9
"""An item's era is `id >> ERA_BITS`: the 512 issues of its number's high bits. The index of
words lists each item under its era too (migration 0007, `newsbot_era`), so that a search can ask
it for the newest eras' matches first (`search_statement`'s `eras_walked`)."""
DENSE_IN_WINDOW = 300
"""The matches in the window (recent.py) from which a ranked search that finds too few there
asks for the older ones era by era (`eras_walked`): 0.15 % of the window's 200,000 items, and
so of the archive's, where the walk stops early enough to cost less than listing every older
match. At a million items, a phrase with 229 in the window was listed in 2 ms and walked in 5
(57 eras); one with 494 listed in 7 ms and walked in 2 (16 eras)."""
_RANK_WEIGHTS = "{0.0, 0.1, 0.2, 1.0}"
"""ts_rank's weights of D, C (abstracts), B (blurbs), A (titles): SQLite's bm25 10, 2, 1 scaled."""


INDEXED = {"words": "{}words", "prefixes": "{}prefixes", "pairs": "newsbot_pairs({}words)"}
"""What each full-text index of `items` is built on, by the name of its tsquery; `{}` takes
the table's alias. The pairs are computed from `words` (migration 0006), not stored."""


def indexed(column: str, alias: str = "") -> str:
    """The expression `INDEXED` names `column`, of the table `alias` ("i.") stands for."""
    return INDEXED[column].format(alias)


def search_statement(
    *,
    ranked: bool,
    section: SoughtSection | None,
    issue: int | None,
    since: dt.date | None,
    until: dt.date | None,
    recent: int | None,
    match: Matching | None = None,
    bounds: dict[str, int | None] | None = None,
    queries: dict[str, str] | None = None,
    sources: list[str] | None = None,
    ids_checked: bool = False,
    range_walked: bool = False,
    eras_walked: bool = False,
) -> tuple[str, dict[str, Any]]:
    """The SQL `search` runs for `match` (`words.matching`) and its parameters; `limit`,
    `offset`, `horizon` (`held_horizon`) and `released` (issues past it that readers may see
    after all) are added by the caller. Module-level so benchmarks run the very same SQL.

    Every row carries the issues left out as maybe held (`held_numbers`, `held_publish_at`);
    with no match, one row of those alone, its `id` NULL.

    Ranked, the newest `SEARCH_CANDIDATES` matches are ranked (ts_rank, titles weighted most,
    ties to newer issues, as on SQLite); unranked, the newest matches come first.

    With `bounds` (`filter_bounds`' row), the first and last issues the filters allow are
    numbers in the statement rather than subqueries, so the planner knows how much of the
    archive they leave; `queries`, when given, receives the subqueries by name, which may read
    the rows `sources` receives (the bounds' own statement). With a
    `window_first` among them (recent.py), the newest items' own indexes are asked before the
    whole index, ranked or not.

    Unranked with `recent`, every item of the recent issues is read in id order, each checked
    without the index. Ranked with `ids_checked`, the filters' range of ids is checked on each
    match the words' index lists, never read from the index of ids (`ids_checked_apart`).
    Ranked with `range_walked`, the newest `RANGE_WALKED_ITEMS` items the filters allow are
    walked first, each checked, and the index is asked only if they hold too few matches.
    Ranked with `eras_walked`, the indexes are asked for the matches of one era after another
    (`ERA_BITS`), the newest the filters allow first, until they have listed the newest
    `SEARCH_CANDIDATES`; with a `window_first` too, only below the window, and only when it
    holds `DENSE_IN_WINDOW` matches or more, but too few.
    """
    params: dict[str, Any] = {}
    # `+ 0`: the planner cannot read the bound from the index of ids.
    item_id = "i.id + 0" if (ids_checked or eras_walked) and ranked else "i.id"
    matched = ["true"]
    asked = match.words if match is not None else None
    if match is not None:
        params.update(
            query=match.whole, words=match.words, prefixes=match.prefixes, pairs=match.pairs
        )
        matched = [
            f"{indexed(column, 'i.')} @@ %({column})s::tsquery"
            for column in ("prefixes", "pairs")
            if params[column] is not None
        ]
    if section:
        # The section is a lexeme of `words` (`words.section_lexeme`, NULL matching nothing):
        # asked with the query's words, the index lists the section's matches alone.
        params["section_lexeme"] = section_query(section)
        if asked is None:
            matched.append("i.words @@ %(section_lexeme)s::tsquery")
    if asked is not None:
        words = "%(words)s::tsquery"
        if section:
            words = f"({words} && %(section_lexeme)s::tsquery)"
        if match is not None and match.asked is not None:
            # Many words: the index is asked the rarest (`recent.asked_words`) and the rest are
            # checked on the items it lists.
            params["asked"] = match.asked
            matched.insert(0, f"ts_match_vq(i.words, {words})")
            matched.insert(0, "i.words @@ %(asked)s::tsquery")
        elif match is not None and match.pairs is not None:
            # A phrase's matches are listed by its pairs' index, and `words` checks on those
            # alone where the words meet: ts_match_vq is @@ that the planner cannot ask an
            # index. Asked of both indexes, it intersected a pair's 2,700 items with the
            # 105,000 holding both words (91 ms at a million items).
            matched.insert(0, f"ts_match_vq(i.words, {words})")
        else:
            matched.insert(0, f"i.words @@ {words}")
    found = _Bounds(bounds, params, {} if queries is None else queries)
    joins: list[str] = []
    clauses: list[str] = []
    if match is not None and match.excluded is not None:
        # Checked on each item as it is read: no index lists the items lacking a word.
        clauses.append("AND NOT i.words @@ %(excluded)s::tsquery")
        params["excluded"] = match.excluded
    newest: list[str] = []  # the newest issue each filter allows
    latest: list[str] = []  # the newest issue each filter but a section's allows
    oldest: list[str] = []  # the oldest issue each filter allows
    if section:
        newest.append(found("section_newest", section_newest(section, params, clauses)))
    if issue is not None:
        clauses.append("AND i.issue_number = %(issue)s")
        # A bigint: as an integer, the id bound (the next issue shifted by SLOT_BITS) of
        # issue 2,047 and later overflowed, and such an issue's matches were never found.
        newest.append("%(issue)s::bigint")
        latest.append("%(issue)s::bigint")
        oldest.append("%(issue)s::bigint")
        params["issue"] = issue
    if since is not None or until is not None:
        window: list[str] = []
        if since is not None:
            window.append("date >= %(since)s")
            params["since"] = since.isoformat()
        if until is not None:
            window.append("date <= %(until)s")
            params["until"] = until.isoformat()
        dated = " AND ".join(window)
        if sources is not None:
            # The bounds' own statement reads the window's issues once, by their dates' index:
            # read for each bound, a window of 14,000 issues took 12 ms.
            counted = "min(number) AS oldest, max(number) AS newest, count(*) AS issues"
            sources.append(f"(SELECT {counted} FROM issues WHERE {dated}) w")  # noqa: S608 - fixed text; every value is a parameter
            newest.append(found("window_newest", "w.newest"))
            oldest.append(found("window_oldest", "w.oldest"))
            # Whether every issue numbered from the window's oldest to its newest is in it (as
            # when issues are dated in the order they are numbered): at once when as many
            # issues as numbers are, else counted.
            found.queries["window_whole"] = (
                "w.issues = w.newest - w.oldest + 1 OR w.issues ="
                " (SELECT count(*) FROM issues n WHERE n.number BETWEEN w.oldest AND w.newest)"
            )
        else:
            # The window's issues read by their dates' index (OFFSET 0 keeps the planner from
            # walking every issue by number for the first in the window: 3 ms each).
            in_window = f"FROM (SELECT number FROM issues WHERE {dated} OFFSET 0) w"  # noqa: S608 - fixed text; every value is a parameter
            newest.append(found("window_newest", f"SELECT max(number) {in_window}"))
            oldest.append(found("window_oldest", f"SELECT min(number) {in_window}"))
        latest.append(newest[-1])
        # How much of the archive the window is (`ids_checked_apart`).
        found.queries["archive_newest"] = "SELECT max(number) FROM issues"
        if bounds is not None and bounds.get("window_whole"):
            # Then the window is that range of ids: the planner counts it right, and walks it
            # newest first. Joined to the issues' dates, it took their selectivity for the
            # window's share of the range's items: a word in a tenth of a million items and a
            # nine-year window sorted 8,000 matches from a lossy bitmap (73 ms), not 5 ms.
            clauses.append(f"AND {item_id} >= ({oldest[-1]} << {SLOT_BITS})")
        else:
            joins.append("JOIN issues fn ON fn.number = i.issue_number")
            clauses.extend(f"AND fn.{condition}" for condition in window)
    if recent is not None:
        newest.append(found("archive_newest", "SELECT max(number) FROM issues"))
        first = f"least({', '.join(newest)}) - %(recent)s + 1"
        clauses.append(f"AND i.issue_number >= {first}")
        oldest.append(first)
        params["recent"] = recent
    # The filters' issues bound the id too (an issue's number is its high bits): a walk
    # starts at the newest issue allowed, and unranked stops at the oldest. No issue allowed
    # (a bound NULL): no item either. Ranked, not the oldest: with both bounds its planner
    # would count a wide window's items as few and sort them all. Nor a section's newest
    # issue, the archive's near enough.
    latest = newest if recent is not None else latest
    below = f"(least({', '.join(latest)}) + 1) << {SLOT_BITS}" if latest else None
    ids: list[str] = []
    if below is not None:
        ids.append(f"AND {item_id} < {below}")
    first_id = f"greatest({', '.join(oldest)}) << {SLOT_BITS}" if oldest else "0"
    if oldest and (not ranked or eras_walked):
        ids.append(f"AND {item_id} >= {first_id}")
    clauses.extend(ids)
    where = f"""
        FROM items i {" ".join(joins)}
        WHERE {" AND ".join(matched)}
        AND NOT (i.issue_number = ANY((SELECT numbers FROM held)::bigint[]))
        {" ".join(clauses)}
    """  # noqa: S608 - the joins and clauses are fixed text; every value is a parameter
    candidates = None
    ranking_newest = ""
    walking = ""
    walk = None
    # The start of the newest items' own indexes (recent.py), as a number: the planner matches
    # it to those indexes' condition. None without a window, or when its start is not known.
    window_first = None
    if bounds is None or "window_first" in bounds:
        first = found("window_first", "SELECT first_id FROM search_window")
        window_first = first if bounds is not None and bounds["window_first"] is not None else None
    # ts_match_vq is @@ as a function, which the planner cannot answer from the index: a walk
    # reads items in id order, checks each, and stops at the page or at its number of items.
    walk_query = "%(query)s::tsquery"
    if section:
        walk_query = f"({walk_query} && %(section_lexeme)s::tsquery)"
    if recent is not None and not ranked:
        # Only very common words, in the recent issues: their items are walked, each checked
        # (never more than the window holds), as the index would list most of the archive.
        walk = recent << SLOT_BITS
        walked_items = f"""
            (SELECT * FROM items i WHERE true {" ".join(ids)}
             ORDER BY i.id DESC LIMIT %(walked)s) i
        """  # noqa: S608 - fixed text; every value is a parameter
        page = f"""
            SELECT i.id, 0.0::real AS score
            FROM {walked_items} {" ".join(joins)}
            WHERE ts_match_vq(i.words, {walk_query})
            AND NOT (i.issue_number = ANY((SELECT numbers FROM held)::bigint[]))
            {" ".join(clauses)}
            ORDER BY i.id DESC LIMIT %(limit)s OFFSET %(offset)s
        """  # noqa: S608 - the joins and clauses are fixed text; every value is a parameter
    elif ranked:
        chosen = f"SELECT i.id, i.issue_number, i.position, i.words {where}"
        newest_matches = "ORDER BY i.id DESC LIMIT %(candidates)s"
        candidates = f"{chosen} {newest_matches}"
        kept = "SELECT i.id, i.issue_number, i.position, i.ctid AS place"
        first_asked = None
        if eras_walked and window_first is None:
            # Era by era, newest first (`_era_walk`). At a million items, a word in a section
            # walked 38,000 items newest first (22 ms); the newest 1,000 of a word's 14,000
            # matches in a window were found after reading all their rows (26 ms): 1.9 and
            # 1.5 ms asked by era.
            newest_id = f"(((least({', '.join(newest)}) + 1) << {SLOT_BITS}) - 1)"
            newest_id = newest_id if newest else "(SELECT max(id) FROM items)"
            candidates = _era_walk(chosen, newest_id, first_id, "%(candidates)s")
        elif range_walked and not joins:
            # A date window's newest items walked first, the words of each checked: a word in
            # 6 % of a million items and a window of 8 % of them found its newest 1,000 matches
            # after 17,000 items (10 ms), where the word's index listed all 62,000 (29 ms).
            walked_range = f"""
                (SELECT i.id, i.issue_number, i.position, i.words, i.ctid AS place
                 FROM items i WHERE true {" ".join(clauses)}
                 ORDER BY i.id DESC LIMIT %(range_walked)s) i
            """  # noqa: S608 - fixed text; every value is a parameter
            first_asked = f"""
                SELECT i.id, i.issue_number, i.position, i.place FROM {walked_range}
                WHERE ts_match_vq(i.words, {walk_query})
                AND NOT (i.issue_number = ANY((SELECT numbers FROM held)::bigint[]))
                {newest_matches}
            """  # noqa: S608 - fixed text; every value is a parameter
            params["range_walked"] = RANGE_WALKED_ITEMS
        elif window_first is not None:
            # The newest items' own indexes first: when they hold enough matches, those are
            # the newest, and the whole index's are never asked for.
            first_asked = f"{kept} {where} AND i.id >= {window_first} {newest_matches}"
        if first_asked is not None:
            # Kept without their words, which are read again by the rows' places: sorted and
            # stored, a word's 1,400 matches in the window took 2.6 ms more with their words
            # than without (the window serves words its index lists in thousands, not a very
            # common word walked to, whose rows are read once).
            counted = "(SELECT count(*) FROM newest)"
            enough = kept_newest = f"{counted} >= %(candidates)s"
            older = f"({chosen} AND NOT {enough} {newest_matches})"
            if eras_walked:
                # Too few in the window, but many for their share of the archive: the older
                # ones asked era by era (`_era_walk`), the window's kept. A phrase in 2,300 of
                # a million items, 500 of them in the window, read every older match's row
                # (7 ms); by era 2 ms. One in few items is listed at once: by era, one in 450
                # took 4.5 ms, listed 1.
                dense = f"{counted} >= %(dense)s"
                kept_newest = f"({enough} OR {dense})"
                below_window = _era_walk(
                    f"{chosen} AND i.id + 0 < {window_first}",
                    f"{window_first} - 1",
                    first_id,
                    f"greatest(%(candidates)s - {counted}, 0)",
                )
                older = f"""
                    ({chosen} AND NOT {enough} AND NOT {dense} {newest_matches})
                    UNION ALL
                    (SELECT * FROM ({below_window}) o WHERE NOT {enough} AND {dense})
                """  # noqa: S608 - fixed text; every value is a parameter
                params["dense"] = DENSE_IN_WINDOW
            candidates = f"""
                SELECT n.id, n.issue_number, n.position, w.words
                FROM newest n JOIN items w ON w.ctid = n.place WHERE {kept_newest}
                UNION ALL
                {older}
            """  # noqa: S608 - fixed text; every value is a parameter
            ranking_newest = f"newest AS MATERIALIZED ({first_asked}),"
        # Ranked once chosen, their words carried along: ranking every match where it is
        # found decompressed the words of thousands of items left out (and looking each
        # candidate up again by id costs a rare word's few matches more than that).
        page = f"""
            SELECT id, -ts_rank('{_RANK_WEIGHTS}', words, %(query)s::tsquery) AS score
            FROM candidates
            ORDER BY score, issue_number DESC, position
            LIMIT %(limit)s OFFSET %(offset)s
        """  # noqa: S608 - fixed text; every value is a parameter
        params["candidates"] = SEARCH_CANDIDATES
    else:
        # The newest items are walked in id order, which finds a frequent word's newest
        # matches at once; past them the index lists the rest, so that few or no matches
        # never cost a walk through the whole archive: the newest items' own indexes first,
        # where there are. The newer parts come first (Append runs its parts in order, and
        # only as far as the LIMIT needs). `+ 0`: an index part is read through the index of
        # words, not walked in id order.
        # Where the walk of the newest items stops: the id `WALKED_ITEMS` items down.
        walking = f"""
            walked AS MATERIALIZED (
                SELECT coalesce(
                    (SELECT id FROM items {f"WHERE id < {below}" if below else ""}
                     ORDER BY id DESC OFFSET %(walked)s LIMIT 1),
                    -1
                ) AS since
            ),
        """  # noqa: S608 - fixed text; every value is a parameter
        walked = "(SELECT since FROM walked)"
        parts = [f"i.id >= {walked} ORDER BY i.id DESC"]
        if window_first is not None:
            parts.append(f"i.id + 0 < {walked} AND i.id >= {window_first} ORDER BY i.id + 0 DESC")
            walked = f"least({walked}, {window_first})"
        parts.append(f"i.id + 0 < {walked} ORDER BY i.id + 0 DESC")
        newest_first = " UNION ALL ".join(
            f"(SELECT i.id, 0.0::real AS score {where} AND {part} LIMIT %(limit)s + %(offset)s)"
            for part in parts
        )
        page = f"""
            SELECT id, score FROM ({newest_first}) newest_first
            LIMIT %(limit)s OFFSET %(offset)s
        """  # noqa: S608 - the joins and clauses are fixed text; every value is a parameter
    ranking = ""
    if candidates is not None:
        # Read once, by the page, as they are found: copied into a store first, a rare word's
        # 300 matches took twice as long to rank (the words of each are copied whole).
        ranking = f"{ranking_newest} candidates AS NOT MATERIALIZED ({candidates}),"
    sql = f"""
        WITH held AS MATERIALIZED (
            SELECT coalesce(array_agg(number), '{{}}') AS numbers,
                   coalesce(array_agg(publish_at), '{{}}') AS publish_at
            FROM issues
            WHERE publish_at > %(horizon)s AND NOT (number = ANY(%(released)s::bigint[]))
            AND NOT EXISTS (SELECT 1 FROM outbox WHERE outbox.issue_number = issues.number
                            AND outbox.state = 'sent')
        ),
        {walking}
        {ranking}
        page AS MATERIALIZED ({page})
        SELECT held.numbers AS held_numbers, held.publish_at AS held_publish_at, hit.*
        FROM held LEFT JOIN (
            SELECT i.id, i.title, i.link, i.blurb, i.abstract, i.editor_note,
                   i.issue_number, n.title AS issue_title, n.date AS issue_date,
                   s.name AS section_name, s.slug AS section_slug, page.score AS score,
                   i.position
            FROM page
            JOIN items i ON i.id = page.id
            JOIN sections s ON s.id = i.section_id
            JOIN issues n ON n.number = i.issue_number
        ) hit ON true
        ORDER BY {"hit.score, hit.issue_number DESC, hit.position" if ranked else "hit.id DESC"}
    """  # noqa: S608 - the joins and clauses are fixed text; every value is a parameter
    params["walked"] = WALKED_ITEMS if walk is None else walk
    return sql, params


def _era_walk(chosen: str, newest_id: str, oldest_id: str, limit: str) -> str:
    """The newest `limit` rows of `chosen` (a SELECT of items `i` and its WHERE), from the
    era of the id `newest_id` down to that of `oldest_id`, one era after another (`ERA_BITS`).

    An index lists the matches of the words (or pairs) and the era together, the era a lexeme
    of its own column, and the walk stops once it holds `limit`. A nested loop reads its outer
    rows in order and each era's rows in full before the next: the LIMIT keeps the newest.
    """
    eras = f"generate_series(({newest_id}) >> {ERA_BITS}, ({oldest_id}) >> {ERA_BITS}, -1)"
    return f"""
        SELECT m.* FROM {eras} AS e (era)
        CROSS JOIN LATERAL (
            {chosen} AND newsbot_era(i.id) @@ e.era::text::tsquery ORDER BY i.id DESC
        ) m
        LIMIT {limit}
    """  # noqa: S608 - fixed text; every value is a parameter


RANGE_ITEMS_PER_MATCH = 10
"""Ids of a range the index of ids lists in the time one match the words' index lists is read
from its row: at a million items, 350,000 ids took 26 ms and 14,000 matches' rows 11 ms."""


def ids_checked_apart(bounds: Mapping[str, Any] | None, share: float | None) -> bool:
    """Whether a ranked search with a date window, of words in `share` of the items, checks the
    window's range of ids on each match (`search_statement`'s `ids_checked`) rather than reading
    it from the index of ids: when the range holds more than `RANGE_ITEMS_PER_MATCH` times as
    many items as the words match outside it, which are all the index spares reading.

    The planner prices an item's row read from memory as if from a disk, and so intersects the
    two indexes' lists whenever that reads fewer rows: a word in 1.4 % of a million items, in a
    window of a third of them, spent 26 of its 48 ms listing the window's ids.
    """
    if bounds is None or share is None or not bounds.get("archive_newest"):
        return False
    newest, oldest = bounds.get("window_newest"), bounds.get("window_oldest")
    if newest is None or oldest is None:
        return False
    # The range's share of the archive, its items taken as spread evenly over the issues: from
    # the window's oldest issue when the window is that range, else from the first.
    first = oldest if bounds.get("window_whole") else 1
    inside = min(1.0, (newest - first + 1) / bounds["archive_newest"])
    return bool(inside >= RANGE_ITEMS_PER_MATCH * share * (1 - inside))


class _Bounds:
    """The issue bounds of a search's filters: subqueries, or the numbers `filter_bounds`
    found (given as parameters, which the client binds into the statement's text)."""

    def __init__(
        self,
        bounds: dict[str, int | None] | None,
        params: dict[str, Any],
        queries: dict[str, str],
    ) -> None:
        self.bounds = bounds
        self.params = params
        self.queries = queries

    def __call__(self, name: str, query: str) -> str:
        self.queries[name] = query
        if self.bounds is None:
            return f"({query})"
        self.params[name] = self.bounds[name]
        return f"%({name})s::bigint"


def filter_bounds(
    *,
    section: SoughtSection | None,
    issue: int | None,
    since: dt.date | None,
    until: dt.date | None,
    recent: int | None,
    probe: Sequence[tuple[str, str]] = (),
) -> tuple[str, dict[str, Any]] | None:
    """The SQL of the one row of issue bounds `search_statement` takes as `bounds`, and its
    parameters; with `probe` (columns and their tsqueries), its column `found` tells whether
    some item matches each. None when nothing is asked (no filter needs bounds, no probe)."""
    queries: dict[str, str] = {}
    sources: list[str] = []
    _, params = search_statement(
        ranked=True,
        section=section,
        issue=issue,
        since=since,
        until=until,
        recent=recent,
        queries=queries,
        sources=sources,
    )
    if probe:
        # A column at a time: asked whether a word and two frequent prefixes meet, the planner
        # read items in order, expecting one at once, and read all million for a word no
        # item holds (1.2 s); asked of `words` alone, the word's index answers at once.
        found = []
        for column, asked in probe:
            param = f"{column}_probe"
            asked_of = indexed(column)
            found.append(f"EXISTS (SELECT FROM items WHERE {asked_of} @@ %({param})s::tsquery)")
            params[param] = asked
        queries["found"] = f"SELECT {' AND '.join(found)}"
    if not queries:
        return None
    columns = ", ".join(f"({query}) AS {name}" for name, query in queries.items())
    read = f" FROM {', '.join(sources)}" if sources else ""
    return f"SELECT {columns}{read}", params
