"""Benchmark the archive: ingest throughput and full-text search latency on a synthetic archive.

Builds a seeded, synthetic archive (25 items to an issue, words drawn from a Zipf-like
vocabulary, and a Japanese sentence ending one blurb in twenty) in a temporary directory, twice:
through `archive.issues.ingest_many`, and through plain `sqlite3` `executemany` into the same
schema with the full-text triggers dropped and one FTS5 `rebuild` at the end. Then times searches
for a rare, a medium and a very common term, and a Japanese word inside longer runs of letters,
through `archive.issues.search` (aiosqlite and models included), through the very same SQL on
plain `sqlite3`, and as a `LIKE '%term%'` scan, and prints every figure next to its target.
Ratios are computed within the run, so they compare like with like on whatever machine runs it.

    PYTHONPATH=. python benchmarks/search.py --items 100000
    PYTHONPATH=. python benchmarks/search.py --items 1000000 --plans
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import math
import os
import platform
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bot.models import Issue, Item, Section
from bot.store import Archive

# One private name on purpose: the raw baselines must run the very settings of Archive.
from bot.store.sqlite.database import _PRAGMAS, migrations
from bot.store.sqlite.held import HELD_FUNCTION, held_function
from bot.store.sqlite.ingest import content_hash
from bot.store.sqlite.search import (
    CJK_INDEX_FUNCTION,
    SEARCH_CANDIDATES,
    SLOT_BITS,
    cjk_index_text,
    fts_query,
    search_statement,
)

ITEMS_PER_ISSUE = 25
VOCABULARY_SIZE = 30_000
ZIPF_EXPONENT = 1.0
TARGET_SHARE = {"rare": 0.0003, "medium": 0.007, "common": 0.40}
"""The share of items each probe term should appear in; the real share is measured and printed."""
CJK_SHARE = 0.05
"""The share of items whose blurb ends with a Japanese sentence (words not separated by spaces)."""
CJK_VOCABULARY_SIZE = 3_000
CJK_LETTERS = (
    "機械学習深層強化自然言語処理画像認識音声生成模型推論訓練評価検索情報理論計算量子物理化学生命"
    "医療金融政策社会経済研究開発企業製品市場安全倫理規制教育未来技術革新半導体通信網構造最適"
    "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモラリルレロンデータ"
)
CJK_PARTICLES = "のをはにとでが"
CJK_PROBES = {"機械学習": 100, "学習": 20}
"""Words placed in the Japanese vocabulary at these Zipf ranks: the CJK probe (found inside
longer runs of letters) and a two-letter word."""

P99_TARGET_MS = 25.0
RARE_OVERHEAD_TARGET = 1.5
LIKE_SPEEDUP_TARGET = 100.0
INGEST_RATIO_TARGET = 1.2

SECTIONS = (("Industry", 7), ("Research", 6), ("Tools", 5), ("Papers & Publications", 4))
"""Each issue's sections and how many of its 25 items each holds (the rest go to Community)."""

DOMAINS = tuple(
    f"{name}.{tld}"
    for name in ("arxiv", "blog", "news", "lab", "dev", "research", "press", "labs", "ml", "ai")
    for tld in ("org", "com", "io", "net", "ai")
)

# The head of the distribution is real newsletter vocabulary, so the very common probe term
# is a word people search for; the long tail is made-up but pronounceable words.
HEAD_WORDS = (
    "the of and to a in model learning data for with new how ai open source training language"
    " deep neural research network vision paper release large inference faster tools guide"
    " graph systems benchmark dataset agents robots python library scale search framework"
)


@dataclass(frozen=True)
class Corpus:
    """The synthetic issues and the probe terms chosen for their expected share of items
    (plus "cjk", a Japanese word that only ever appears inside a longer run of letters)."""

    issues: list[Issue]
    terms: dict[str, str]
    items: int


@dataclass(frozen=True)
class Shape:
    """What the searches and the report need of a corpus, once its models are gone."""

    items: int
    issues: int
    first_date: dt.date
    terms: dict[str, str]

    @classmethod
    def of(cls, corpus: Corpus) -> Shape:
        """The shape of `corpus`."""
        first = corpus.issues[0].date
        assert first is not None
        return cls(corpus.items, len(corpus.issues), first, corpus.terms)

    def date_at(self, share: float) -> dt.date:
        """The date of the issue `share` of the way from the oldest to the newest."""
        return self.first_date + dt.timedelta(days=int((self.issues - 1) * share))


@dataclass
class Timing:
    """Latencies of repeated runs of one query, in seconds."""

    samples: list[float] = field(default_factory=list)

    def percentile(self, share: float) -> float:
        """The nearest-rank percentile (`share` in 0..1), in milliseconds."""
        ordered = sorted(self.samples)
        index = max(0, math.ceil(share * len(ordered)) - 1)
        return ordered[index] * 1000

    @property
    def p50(self) -> float:
        """The median, in milliseconds."""
        return self.percentile(0.50)

    @property
    def p99(self) -> float:
        """The 99th percentile, in milliseconds."""
        return self.percentile(0.99)


@dataclass(frozen=True)
class Query:
    """One search to time: a label, the reader's text, and the filters `archive.issues.search`
    takes."""

    label: str
    text: str
    filters: dict[str, Any] = field(default_factory=dict)
    term: str | None = None
    """The probe kind ("rare", "medium", "common", "cjk") for the headline rows, None for extras."""


# --- the synthetic corpus -----------------------------------------------------------------------


def vocabulary(rng: random.Random, size: int) -> list[str]:
    """`size` distinct lowercase words, most frequent first: the head words, then made-up ones."""
    words = list(dict.fromkeys(HEAD_WORDS.split()))
    seen = set(words)
    consonants, vowels, codas = "bcdfghjklmnprstvz", "aeiou", ("", "", "", "n", "r", "s", "l")
    while len(words) < size:
        syllables = rng.randint(2, 4)
        word = "".join(
            rng.choice(consonants) + rng.choice(vowels) + rng.choice(codas)
            for _ in range(syllables)
        )
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def zipf_cum_weights(size: int, exponent: float) -> list[float]:
    """Cumulative weights of ranks 1..size under Zipf's law, for `random.choices`."""
    total, cumulative = 0.0, []
    for rank in range(1, size + 1):
        total += 1.0 / rank**exponent
        cumulative.append(total)
    return cumulative


def item_lengths(rng: random.Random) -> tuple[int, int, int]:
    """Words in an item's title, blurb and abstract (a fifth of the items have an abstract)."""
    abstract = rng.randint(50, 120) if rng.random() < 0.2 else 0
    return rng.randint(4, 12), rng.randint(12, 40), abstract


def choose_terms(vocab: list[str], cum_weights: list[float], seed: int) -> dict[str, str]:
    """For each TARGET_SHARE, the word whose expected share of items is closest to it.

    The expected share of a word with probability p is the mean over items of 1 - (1 - p)^n,
    n being the item's number of words; the items' lengths are sampled from `item_lengths`.
    """
    rng = random.Random(seed)
    lengths = [sum(item_lengths(rng)) for _ in range(5_000)]
    total = cum_weights[-1]

    def share(rank: int) -> float:
        p = (cum_weights[rank] - (cum_weights[rank - 1] if rank else 0.0)) / total
        return sum(1 - (1 - p) ** n for n in lengths) / len(lengths)

    terms: dict[str, str] = {}
    for kind, target in TARGET_SHARE.items():
        low, high = 0, len(vocab) - 1  # share() falls as the rank grows
        while low < high:
            middle = (low + high) // 2
            if share(middle) > target:
                low = middle + 1
            else:
                high = middle
        best = min((low - 1, low), key=lambda rank: abs(share(max(rank, 0)) - target))
        terms[kind] = vocab[max(best, 0)]
    return terms


def cjk_vocabulary(rng: random.Random, size: int) -> list[str]:
    """`size` distinct made-up Japanese words of 2 to 4 letters, with CJK_PROBES at their ranks."""
    words: list[str] = []
    seen = set(CJK_PROBES)
    while len(words) < size - len(CJK_PROBES):
        word = "".join(rng.choices(CJK_LETTERS, k=rng.randint(2, 4)))
        if word not in seen and not any(probe in word for probe in CJK_PROBES):
            seen.add(word)
            words.append(word)
    for word, rank in sorted(CJK_PROBES.items(), key=lambda pair: pair[1]):
        words.insert(rank - 1, word)
    return words


def cjk_sentence(rng: random.Random, vocab: list[str], cum_weights: list[float]) -> str:
    """A Japanese-like sentence: 8 to 20 words joined by particles, one run of letters."""
    words = rng.choices(vocab, cum_weights=cum_weights, k=rng.randint(8, 20))
    glue = rng.choices(CJK_PARTICLES, k=len(words) - 1)
    return "".join(w + g for w, g in zip(words, [*glue, ""], strict=True)) + "。"


def build_corpus(items: int, seed: int) -> Corpus:
    """The seeded synthetic issues holding `items` items, and the probe terms."""
    rng = random.Random(seed)
    vocab = vocabulary(rng, VOCABULARY_SIZE)
    cum_weights = zipf_cum_weights(len(vocab), ZIPF_EXPONENT)
    terms = choose_terms(vocab, cum_weights, seed + 1)
    # A generator of its own, so the rest of the corpus is the same as without Japanese.
    cjk_rng = random.Random(seed + 2)
    cjk_vocab = cjk_vocabulary(cjk_rng, CJK_VOCABULARY_SIZE)
    cjk_weights = zipf_cum_weights(len(cjk_vocab), ZIPF_EXPONENT)
    terms["cjk"] = next(iter(CJK_PROBES))
    count = math.ceil(items / ITEMS_PER_ISSUE)
    first_date = dt.date(2026, 1, 1) - dt.timedelta(days=count)
    issues: list[Issue] = []
    for index in range(count):
        number = index + 1
        size = min(ITEMS_PER_ISSUE, items - index * ITEMS_PER_ISSUE)
        shapes = [item_lengths(rng) for _ in range(size)]
        words = iter(rng.choices(vocab, cum_weights=cum_weights, k=sum(map(sum, shapes))))
        built: list[Item] = []
        for slot, (title_n, blurb_n, abstract_n) in enumerate(shapes):
            title = " ".join(next(words) for _ in range(title_n)).capitalize()
            blurb = " ".join(next(words) for _ in range(blurb_n)).capitalize() + "."
            if cjk_rng.random() < CJK_SHARE:
                blurb += " " + cjk_sentence(cjk_rng, cjk_vocab, cjk_weights)
            abstract = " ".join(next(words) for _ in range(abstract_n)).capitalize() + "."
            if rng.random() < 0.05:
                # Linkless items are keyed by their title, so keep titles unique in the issue.
                link = None
                title = f"{title} {number}-{slot}"
            else:
                slug = "-".join(title.lower().split()[:4])
                link = f"https://{rng.choice(DOMAINS)}/{number}/{slug}-{slot}"
            built.append(
                Item(title=title, link=link, blurb=blurb, abstract=abstract if abstract_n else None)
            )
        issues.append(
            Issue(
                number=number,
                title=f"Synthetic Weekly: Issue #{number}",
                date=first_date + dt.timedelta(days=index),
                intro="This week, more synthetic news than anyone could read.",
                sections=sections_of(built),
            )
        )
    return Corpus(issues=issues, terms=terms, items=items)


def sections_of(items: list[Item]) -> tuple[Section, ...]:
    """Split an issue's items into SECTIONS, in order, the remainder going to Community."""
    sections: list[Section] = []
    start = 0
    for name, size in (*SECTIONS, ("Community", ITEMS_PER_ISSUE)):
        chunk = items[start : start + size]
        if chunk:
            sections.append(Section.model_validate({"name": name, "items": tuple(chunk)}))
        start += size
    return tuple(sections)


# --- ingest -------------------------------------------------------------------------------------


def connect_raw(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection with the same settings as `Archive.open` gives its own."""
    db = sqlite3.connect(path, isolation_level=None)
    db.row_factory = sqlite3.Row
    for pragma in _PRAGMAS:
        db.execute(f"PRAGMA {pragma}")
    db.create_function(CJK_INDEX_FUNCTION, 1, cjk_index_text, deterministic=True)
    db.create_function(HELD_FUNCTION, 1, held_function(lambda: dt.datetime.now(dt.UTC), None))
    return db


async def ingest_archive(path: Path, issues: list[Issue]) -> tuple[float, float]:
    """Seconds to ingest `issues` in one `ingest_many`, then to ingest them again unchanged."""
    batch: list[tuple[Issue, Path | None]] = [(issue, None) for issue in issues]
    async with await Archive.open(path) as archive:
        start = time.perf_counter()
        await archive.issues.ingest_many(batch)
        first = time.perf_counter() - start
        start = time.perf_counter()
        await archive.issues.ingest_many(batch)
        again = time.perf_counter() - start
    return first, again


def ingest_raw(path: Path, issues: list[Issue]) -> tuple[float, float]:
    """Seconds to store `issues` with plain executemany and one FTS rebuild; and the rebuild's.

    The timing includes turning the models into rows (content hash included), the work any
    ingest of `Issue` models must do.
    """
    db = connect_raw(path)
    for migration in migrations():
        db.executescript(migration.sql)
    for trigger in ("items_fts_insert", "items_fts_delete", "items_fts_update"):
        db.execute(f"DROP TRIGGER {trigger}")
    start = time.perf_counter()
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    issue_rows, section_rows, item_rows = [], [], []
    section_id = 0
    for issue in issues:
        issue_rows.append(
            (
                issue.number,
                issue.title,
                issue.subtitle,
                issue.date.isoformat() if issue.date else None,
                issue.link,
                issue.intro,
                content_hash(issue),
                None,
                len(issue.items),
                now,
                now,
            )
        )
        position = 0
        for section_position, section in enumerate(issue.sections):
            section_id += 1
            section_rows.append(
                (section_id, issue.number, section.slug, section.name, section_position)
            )
            for item in section.items:
                # As in the archive: a new issue's items take slots 0, 1, 2 … in reading order.
                item_rows.append(
                    (
                        (issue.number << SLOT_BITS) | position,
                        issue.number,
                        section_id,
                        item.key,
                        position,
                        item.title,
                        item.link,
                        item.blurb,
                        item.abstract,
                        item.editor_note,
                        cjk_index_text(item.title),
                        cjk_index_text(item.blurb),
                        cjk_index_text(item.abstract),
                    )
                )
                position += 1
    db.execute("BEGIN IMMEDIATE")
    db.executemany(
        "INSERT INTO issues (number, title, subtitle, date, link, intro, content_hash,"
        " source_path, next_slot, ingested_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        issue_rows,
    )
    db.executemany(
        "INSERT INTO sections (id, issue_number, slug, name, position) VALUES (?,?,?,?,?)",
        section_rows,
    )
    db.executemany(
        "INSERT INTO items (id, issue_number, section_id, key, position, title, link, blurb,"
        " abstract, editor_note, title_cjk, blurb_cjk, abstract_cjk)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        item_rows,
    )
    rebuild_start = time.perf_counter()
    db.execute("INSERT INTO items_fts (items_fts) VALUES ('rebuild')")
    db.execute("COMMIT")
    end = time.perf_counter()
    db.close()
    return end - start, end - rebuild_start


# --- search -------------------------------------------------------------------------------------


async def time_async(run: Callable[[], Awaitable[object]], runs: int, warmup: int) -> Timing:
    """Latencies of `runs` awaited calls after `warmup` untimed ones."""
    for _ in range(warmup):
        await run()
    timing = Timing()
    for _ in range(runs):
        start = time.perf_counter()
        await run()
        timing.samples.append(time.perf_counter() - start)
    return timing


def time_sync(run: Callable[[], object], runs: int, warmup: int) -> Timing:
    """Latencies of `runs` calls after `warmup` untimed ones."""
    for _ in range(warmup):
        run()
    timing = Timing()
    for _ in range(runs):
        start = time.perf_counter()
        run()
        timing.samples.append(time.perf_counter() - start)
    return timing


def statement(query: Query) -> tuple[str, dict[str, Any]]:
    """The SQL and parameters `archive.issues.search` runs for `query` (first page of 10)."""
    filters = {"section": None, "issue": None, "since": None, "until": None} | query.filters
    now = dt.datetime.now(dt.UTC)
    built = search_statement(query.text, limit=10, offset=0, now=now, **filters)
    assert built is not None, query
    return built


def full_bm25_top(
    raw: sqlite3.Connection, text: str, limit: int, *, tie_break: bool
) -> list[tuple[int, float]]:
    """The top of a full `ORDER BY rank` over every match: the ranking without candidates.

    With `tie_break`, equal scores go to newer issues first, as `archive.issues.search` promises;
    without it, this is the plain query and ties come in whatever order FTS5 gives them.
    """
    order = "rank, i.issue_number DESC, i.position" if tie_break else "rank"
    rows = raw.execute(
        "SELECT items_fts.rowid, items_fts.rank FROM items_fts"
        " JOIN items i ON i.id = items_fts.rowid"
        f" WHERE items_fts MATCH ? ORDER BY {order} LIMIT ?",
        (fts_query(text), limit),
    ).fetchall()
    return [(int(row[0]), float(row[1])) for row in rows]


def same_ranking(got: Sequence[tuple[int, float]], full: Sequence[tuple[int, float]]) -> str:
    """'identical', 'equal up to ties' (same scores, tied items ordered differently) or 'no'."""
    if [item_id for item_id, _ in got] == [item_id for item_id, _ in full]:
        return "identical"
    if len(got) != len(full) or any(
        not math.isclose(a, b, rel_tol=1e-9) for (_, a), (_, b) in zip(got, full, strict=True)
    ):
        return "no"
    boundary = full[-1][1]
    strictly_better = {i for i, score in full if not math.isclose(score, boundary, rel_tol=1e-9)}
    return "equal up to ties" if strictly_better <= {i for i, _ in got} else "no"


@dataclass
class SearchResult:
    """Every figure measured for one query."""

    query: Query
    matches: int
    archive: Timing
    raw: Timing
    like: Timing | None
    ranking: tuple[str, str] | None
    """Top 10 against the full ranking: with the tie-break, then against the plain query."""


async def bench_searches(
    path: Path, shape: Shape, runs: int, like_runs: int, plans: bool
) -> list[SearchResult]:
    """Time every query through archive.issues.search, the same SQL on sqlite3, and a LIKE scan."""
    terms, issues = shape.terms, shape.issues
    recent, old = shape.date_at(0.95), shape.date_at(0.05)
    queries = [
        Query("rare", terms["rare"], term="rare"),
        Query("medium", terms["medium"], term="medium"),
        Query("very common", terms["common"], term="common"),
        Query("CJK, in a run", terms["cjk"], term="cjk"),
        Query("CJK, 2 letters", list(CJK_PROBES)[1]),
        Query("common, section", terms["common"], {"section": "tools"}),
        Query("common, newest 5%", terms["common"], {"since": recent}),
        Query("common, oldest 5%", terms["common"], {"until": old}),
        Query("rare, one issue", terms["rare"], {"issue": issues // 2}),
        Query("medium AND common", f"{terms['medium']} {terms['common']}"),
        Query("3-letter prefix", f"{terms['common'][:3]}*"),
        # The worst case we know: a phrase of the two most common words matches nearly
        # every item, and bm25 counts all of them before ranking any.
        Query("stop-word phrase", '"of the"'),
    ]
    raw = connect_raw(path)
    async with await Archive.open(path, create=False) as archive:
        results = [
            await bench_query(archive, raw, query, runs, like_runs, plans) for query in queries
        ]
    raw.close()
    return results


async def bench_query(
    archive: Archive,
    raw: sqlite3.Connection,
    query: Query,
    runs: int,
    like_runs: int,
    plans: bool,
) -> SearchResult:
    """Time one query; the headline ones also against LIKE and the full bm25 ranking."""
    sql, params = statement(query)
    if plans:
        print(f"\nquery plan, {query.label}:")
        for row in raw.execute(f"EXPLAIN QUERY PLAN {sql}", params):
            print(f"  {row['id']:>3} {row['parent']:>3} {row['detail']}")
    matches = int(
        raw.execute(
            "SELECT count(*) FROM items_fts WHERE items_fts MATCH ?", (fts_query(query.text),)
        ).fetchone()[0]
    )
    n = runs if query.term else max(10, runs // 4)

    async def run_archive() -> object:
        return await archive.issues.search(query.text, **query.filters)

    def run_raw() -> object:
        return raw.execute(sql, params).fetchall()

    gc.collect()
    archive_timing = await time_async(run_archive, n, warmup=max(5, n // 10))
    raw_timing = time_sync(run_raw, n, warmup=max(5, n // 10))
    if not query.term:
        return SearchResult(query, matches, archive_timing, raw_timing, None, None)

    def run_like() -> object:
        return like_scan(raw, query.text)

    like_timing = time_sync(run_like, like_runs, warmup=1)
    page = await archive.issues.search(query.text)
    got = [(hit.item_id, hit.score) for hit in page.hits]
    ranking = (
        same_ranking(got, full_bm25_top(raw, query.text, len(got), tie_break=True)),
        same_ranking(got, full_bm25_top(raw, query.text, len(got), tie_break=False)),
    )
    return SearchResult(query, matches, archive_timing, raw_timing, like_timing, ranking)


def like_scan(raw: sqlite3.Connection, text: str) -> int:
    """How many items contain `text`, counted by reading every item as a search without the
    full-text index must (a LIMIT would not help: ranking needs every match)."""
    row = raw.execute(
        "SELECT count(*) FROM items WHERE title LIKE :p OR blurb LIKE :p OR abstract LIKE :p",
        {"p": f"%{text}%"},
    ).fetchone()
    return int(row[0])


# --- report -------------------------------------------------------------------------------------


def megabytes(path: Path) -> float:
    """The size of a database with its WAL, in MB."""
    wal = path.with_name(path.name + "-wal")
    return (path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)) / 1e6


def verdict(met: bool) -> str:
    """How the report says whether a target is met."""
    return "met" if met else "NOT MET"


def report(
    corpus: Shape,
    generated: float,
    ingest: tuple[float, float, float, float],
    sizes: tuple[float, float],
    results: list[SearchResult],
    runs: int,
    like_runs: int,
) -> None:
    """Print the machine, the corpus, the ingest and search tables, and the targets."""
    archive_s, again_s, raw_s, rebuild_s = ingest
    items = corpus.items
    print(
        f"machine: {platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"aiosqlite {version('aiosqlite')}"
    )
    print(
        f"corpus: {items:,} items in {corpus.issues:,} issues ({ITEMS_PER_ISSUE} per issue),"
        f" Zipf vocabulary of {VOCABULARY_SIZE:,} words; generated in {generated:.1f} s;"
        f" a search ranks the newest {SEARCH_CANDIDATES:,} matches"
    )
    print(f"database: {sizes[0]:,.0f} MB through Archive, {sizes[1]:,.0f} MB raw-built")
    print()
    print(f"{'ingest':<40}{'seconds':>10}{'items/s':>12}")
    print(f"{'archive.issues.ingest_many':<40}{archive_s:>10.2f}{items / archive_s:>12,.0f}")
    print(
        f"{'raw executemany, then FTS rebuild':<40}{raw_s:>10.2f}{items / raw_s:>12,.0f}"
        f"   (rebuild {rebuild_s:.2f} s)"
    )
    again = "archive.issues.ingest_many again, unchanged"
    print(f"{again:<40}{again_s:>10.2f}{items / again_s:>12,.0f}")
    ratio = archive_s / raw_s
    print(f"ratio Archive / raw: {ratio:.2f}×")
    print()
    header = (
        f"{'search (ms)':<20}{'term':>12}{'matches':>10}{'Archive p50':>12}{'p99':>7}"
        f"{'raw p50':>9}{'p99':>7}{'A/raw p50':>10}{'p99':>6}{'LIKE p50':>10}{'LIKE/A':>8}"
        f"  top 10 = full bm25: tie-broken; plain"
    )
    print(header)
    for r in results:
        like = f"{r.like.p50:>10.1f}{r.like.p50 / r.archive.p50:>7.0f}×" if r.like else " " * 18
        print(
            f"{r.query.label:<20}{r.query.text:>12.12}{r.matches:>10,}"
            f"{r.archive.p50:>12.2f}{r.archive.p99:>7.2f}{r.raw.p50:>9.2f}{r.raw.p99:>7.2f}"
            f"{r.archive.p50 / r.raw.p50:>9.2f}×{r.archive.p99 / r.raw.p99:>5.2f}×{like}"
            f"  {'; '.join(r.ranking) if r.ranking else ''}"
        )
    print(
        f"({runs} runs per headline query and {max(10, runs // 4)} per extra one, after warm-up;"
        f" LIKE: {like_runs} runs; matches share of items: "
        + ", ".join(f"{r.query.term} {r.matches / items:.3%}" for r in results if r.query.term)
        + "; matches are counted before filters)"
    )
    print()
    headline = [r for r in results if r.query.term]
    rare = next(r for r in headline if r.query.term == "rare")
    assert rare.ranking is not None
    worst = max(headline, key=lambda r: r.archive.p99)
    like_speedups = [(r.like.p50 / r.archive.p50, r) for r in headline if r.like]
    speedup, least = min(like_speedups, key=lambda pair: pair[0])
    rare_ratio = rare.archive.p50 / rare.raw.p50
    print("targets (rare, medium, very common and CJK term)")
    print(
        f"  ingest Archive / raw ≤ {INGEST_RATIO_TARGET}×: {ratio:.2f}× — "
        f"{verdict(ratio <= INGEST_RATIO_TARGET)}"
    )
    print(
        f"  p99 ≤ {P99_TARGET_MS:.0f} ms through archive.issues.search: worst "
        f"{worst.archive.p99:.2f} ms ({worst.query.label}) — "
        f"{verdict(worst.archive.p99 <= P99_TARGET_MS)}"
    )
    print(
        f"  rare term Archive / raw sqlite3 ≤ {RARE_OVERHEAD_TARGET}× (p50): {rare_ratio:.2f}× "
        f"(p99 {rare.archive.p99 / rare.raw.p99:.2f}×) — "
        f"{verdict(rare_ratio <= RARE_OVERHEAD_TARGET)}"
    )
    print(
        f"  ≥ {LIKE_SPEEDUP_TARGET:.0f}× faster than LIKE (p50): least {speedup:,.0f}× "
        f"({least.query.label}) — {verdict(speedup >= LIKE_SPEEDUP_TARGET)}"
    )
    print(
        f"  rare-term top 10 = top 10 of a full ORDER BY rank: {rare.ranking[0]} with the"
        f" archive's tie-break, {rare.ranking[1]} to the plain query — "
        f"{verdict(rare.ranking[0] == 'identical' and rare.ranking[1] != 'no')}"
    )
    slow = [r for r in results if not r.query.term and r.archive.p99 > P99_TARGET_MS]
    print(
        f"extra queries over {P99_TARGET_MS:.0f} ms p99: "
        + (", ".join(f"{r.query.label} {r.archive.p99:.1f} ms" for r in slow) or "none")
    )


async def main(argv: Sequence[str] | None = None) -> None:
    """Build the archives, time ingest and search, print the report; the temp dir is removed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--items", type=int, default=100_000, help="items in the archive")
    parser.add_argument("--runs", type=int, default=200, help="timed runs per headline query")
    parser.add_argument("--like-runs", type=int, default=5, help="timed runs per LIKE scan")
    parser.add_argument("--seed", type=int, default=202, help="seed of the synthetic corpus")
    parser.add_argument("--plans", action="store_true", help="print EXPLAIN QUERY PLAN")
    parser.add_argument("--dir", type=Path, default=None, help="where to make the temp dir")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    corpus = build_corpus(args.items, args.seed)
    generated = time.perf_counter() - start
    print(
        f"generated {args.items:,} items in {generated:.1f} s; probe terms: "
        + ", ".join(f"{kind} {term!r}" for kind, term in corpus.terms.items()),
        file=sys.stderr,
    )
    with tempfile.TemporaryDirectory(prefix="newsbot-bench-", dir=args.dir) as scratch:
        archive_path, raw_path = Path(scratch) / "archive.db", Path(scratch) / "raw.db"
        archive_s, again_s = await ingest_archive(archive_path, corpus.issues)
        print(f"Archive ingest {archive_s:.1f} s", file=sys.stderr)
        raw_s, rebuild_s = ingest_raw(raw_path, corpus.issues)
        print(f"raw ingest {raw_s:.1f} s", file=sys.stderr)
        sizes = (megabytes(archive_path), megabytes(raw_path))
        raw_path.unlink()
        # Search timings must not pay for garbage-collecting the models built for the ingest.
        shape = Shape.of(corpus)
        del corpus
        gc.collect()
        gc.freeze()
        results = await bench_searches(archive_path, shape, args.runs, args.like_runs, args.plans)
    print()
    report(
        shape,
        generated,
        (archive_s, again_s, raw_s, rebuild_s),
        sizes,
        results,
        args.runs,
        args.like_runs,
    )


if __name__ == "__main__":
    asyncio.run(main())
