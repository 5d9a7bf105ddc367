"""Full-text search over Arabic bodies with DuckDB's fts extension (BM25, Snowball Arabic stemmer).

An FTS index cannot live inside a DuckLake catalog, so the writer keeps a separate DuckDB file,
`lake/search.duckdb`, that readers attach READ_ONLY. It is never written in place: the writer
prepares a temporary file and swaps it in atomically with `os.replace`, so a run killed while
indexing leaves the previous index (and a temporary file the next writer removes).

* A full build (`build_search_index`: the first run, `news-etl maintain`, or when much changed)
  streams `article_id, version, title, body_search` of the latest articles into the temporary
  file and runs `PRAGMA create_fts_index` over `title_search` + `body_search`.
* After an ordinary run (`refresh_search_index`) only the difference is applied: the articles
  whose (article_id, version) the index does not hold yet are found with one anti-join, the
  previous file is copied, their old postings are removed and the new ones added to the fts
  tables (`docs`, `terms`, `dict.df`, `stats`) with the index's own `tokenize` macro and stemmer,
  which gives the same tables, and so the same BM25 scores, as a full build over the same
  articles (tests/test_search.py compares them). The fts extension of DuckDB 1.5 has no
  incremental update of its own.

With the lake in object storage (NEWS_ETL_DATA_PATH) the writer builds the index here, in its
own lake/search.duckdb, and uploads it to <root>search.duckdb; readers download each new version
once (warehouse/objectstore.py) and open their copy.

The query is normalised like `body_search` (transforms.normalize.search_form), so hamza/alef
variants, ة/ه, ى/ي and diacritics do not matter.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from core.settings import QueryLimits
from transforms.normalize import search_form
from warehouse.extensions import connect_memory, load_extension
from warehouse.objectstore import IndexMissing, ObjectStoreError, fetch_index
from warehouse.paths import LakePaths
from warehouse.reader import limit_memory, statement_deadline
from warehouse.schema import quote_ident, quote_literal

SEARCH_FILE = "search.duckdb"
INDEX_FORMAT = 2  # 2: docs carries `version` and the file an `index_meta` table (else: rebuilt in full)
# a full build instead of an update when more than this fraction of the indexed articles changed,
# or after this many updates in a row (deleted postings leave space a full build reclaims)
REBUILD_FRACTION = 0.25
MAX_UPDATES = 60
_PREV = "news_etl_search_prev"  # alias of the previous index attached to the writer's connection
_STEMMER = "arabic"
# word characters of any script are kept (the default pattern keeps only a-z)
_FTS_OPTIONS = "stemmer = '" + _STEMMER + "', stopwords = 'none', ignore = '[^\\p{L}\\p{N}]+', strip_accents = 0, lower = 1"


class SearchUnavailable(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class Hit:
    article_id: str
    score: float
    title: str | None
    source_id: str
    url: str | None
    published_at: datetime | None


def search_path(paths: LakePaths) -> Path:
    return paths.lake_dir / SEARCH_FILE


@dataclass(frozen=True, slots=True)
class IndexRefresh:
    """What a refresh did: `mode` is "full", "update" or "unchanged"."""

    mode: str
    indexed: int  # articles in the index afterwards
    added: int = 0  # articles (re)indexed by an update


def _temp_path(target: Path) -> Path:
    return target.with_name(f".{SEARCH_FILE}.{os.getpid()}.{time.monotonic_ns()}.tmp")


def _connect_index(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path), config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    load_extension(con, "fts")
    # the title is normalised like the body so both match the same query form
    con.create_function("search_form", search_form, ["VARCHAR"], "VARCHAR")
    return con


@contextmanager
def _next_index(target: Path, *, copy: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to a temporary index file (empty, or a copy of `target`) that replaces
    `target` atomically when the block ends; on any error the temporary file is removed."""
    tmp = _temp_path(target)
    if copy:
        shutil.copyfile(target, tmp)
    con = _connect_index(tmp)
    try:
        yield con
        con.execute("CHECKPOINT")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, target)


def build_search_index(writer: duckdb.DuckDBPyConnection, paths: LakePaths) -> int:
    """Rebuild the search index from the writer's connection (lake attached and in use) and
    publish it atomically. Returns the number of indexed articles."""
    reader = writer.execute(_LATEST_ARTICLES).to_arrow_reader()
    with _next_index(paths.lake_dir / SEARCH_FILE) as con:
        con.register("source_articles", reader)
        con.execute(
            "CREATE TABLE docs AS SELECT * REPLACE (search_form(title_search) AS title_search) FROM source_articles"
        )
        con.unregister("source_articles")
        count = con.execute("SELECT count(*) FROM docs").fetchone()
        con.execute(f"PRAGMA create_fts_index('docs', 'article_id', 'title_search', 'body_search', {_FTS_OPTIONS})")
        con.execute("CREATE TABLE index_meta (format INTEGER, updates INTEGER)")
        con.execute("INSERT INTO index_meta VALUES (?, 0)", [INDEX_FORMAT])
    return int(count[0]) if count else 0


_LATEST_ARTICLES = (
    "SELECT article_id, version, title, source_id, url, published_at, "
    "coalesce(title, '') AS title_search, body_search FROM articles"
)


def refresh_search_index(writer: duckdb.DuckDBPyConnection, paths: LakePaths, *, full: bool = False) -> IndexRefresh:
    """Bring the search index up to date with the lake's latest articles: an update of the
    previous index when it exists, has this format and little changed, else a full build."""
    target = paths.lake_dir / SEARCH_FILE
    if full or not target.exists():
        return IndexRefresh("full", build_search_index(writer, paths))
    delta = _index_delta(writer, target)
    if delta is None:
        return IndexRefresh("full", build_search_index(writer, paths))
    changed, stale, indexed, updates = delta
    if not changed and not stale:
        return IndexRefresh("unchanged", indexed)
    if len(changed) + len(stale) > REBUILD_FRACTION * max(indexed, 1) or updates >= MAX_UPDATES:
        return IndexRefresh("full", build_search_index(writer, paths))
    return _update_index(writer, target, changed, stale)


def _index_delta(writer: duckdb.DuckDBPyConnection, target: Path) -> tuple[list[str], list[str], int, int] | None:
    """(article ids to index, article ids whose postings go, indexed articles, updates so far)
    or None when the previous index cannot be updated (older format, unreadable)."""
    try:
        writer.execute(f"ATTACH {quote_literal(str(target))} AS {quote_ident(_PREV)} (READ_ONLY)")
    except duckdb.Error:
        return None
    prev = quote_ident(_PREV)
    try:
        meta = writer.execute(f"SELECT format, updates FROM {prev}.main.index_meta").fetchone()
        if meta is None or int(meta[0]) != INDEX_FORMAT:
            return None
        changed = [
            str(r[0])
            for r in writer.execute(
                f"SELECT a.article_id FROM articles AS a WHERE NOT EXISTS (SELECT 1 FROM {prev}.main.docs AS d "
                "WHERE d.article_id = a.article_id AND d.version = a.version) ORDER BY a.article_id"
            ).fetchall()
        ]
        gone = [
            str(r[0])
            for r in writer.execute(
                f"SELECT d.article_id FROM {prev}.main.docs AS d WHERE NOT EXISTS (SELECT 1 FROM articles AS a "
                "WHERE a.article_id = d.article_id) ORDER BY d.article_id"
            ).fetchall()
        ]
        row = writer.execute(f"SELECT count(*) FROM {prev}.main.docs").fetchone()
        indexed = int(row[0]) if row else 0
    except duckdb.Error:
        return None
    finally:
        writer.execute(f"DETACH {prev}")
    return changed, gone, indexed, int(meta[1])


def _update_index(writer: duckdb.DuckDBPyConnection, target: Path, changed: list[str], gone: list[str]) -> IndexRefresh:
    """Copy the index, replace the postings of `changed` (new or newer versions) and drop those
    of `gone`, then swap the copy in."""
    ids = pa.table({"article_id": pa.array(changed, pa.string())})
    writer.register("news_etl_changed_ids", ids)
    try:
        delta = writer.execute(
            f"{_LATEST_ARTICLES} WHERE article_id IN (SELECT article_id FROM news_etl_changed_ids)"
        ).to_arrow_table()
    finally:
        writer.unregister("news_etl_changed_ids")
    with _next_index(target, copy=True) as con:
        con.register("delta_articles", delta)
        con.register("stale_ids", pa.table({"article_id": pa.array([*changed, *gone], pa.string())}))
        con.execute("BEGIN")
        _remove_postings(con)
        _add_postings(con)
        con.execute("UPDATE index_meta SET updates = updates + 1")
        con.execute("COMMIT")
        con.unregister("delta_articles")
        con.unregister("stale_ids")
        row = con.execute("SELECT count(*) FROM docs").fetchone()
    return IndexRefresh("update", int(row[0]) if row else 0, added=len(changed))


_FTS = "fts_main_docs"  # the schema PRAGMA create_fts_index made for the table `docs`


def _remove_postings(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the rows of the articles in `stale_ids` from `docs` and the fts tables."""
    con.execute(f"CREATE TEMP TABLE stale_docs AS SELECT docid FROM {_FTS}.docs WHERE name IN (SELECT article_id FROM stale_ids)")
    con.execute(
        f"UPDATE {_FTS}.dict SET df = {_FTS}.dict.df - s.n FROM ("
        f"  SELECT termid, count(DISTINCT docid) AS n FROM {_FTS}.terms"
        "   WHERE docid IN (SELECT docid FROM stale_docs) GROUP BY termid"
        f") AS s WHERE {_FTS}.dict.termid = s.termid"
    )
    con.execute(f"DELETE FROM {_FTS}.terms WHERE docid IN (SELECT docid FROM stale_docs)")
    con.execute(f"DELETE FROM {_FTS}.docs WHERE docid IN (SELECT docid FROM stale_docs)")
    con.execute(f"DELETE FROM {_FTS}.dict WHERE df <= 0")
    con.execute("DELETE FROM docs WHERE article_id IN (SELECT article_id FROM stale_ids)")
    con.execute("DROP TABLE stale_docs")


def _add_postings(con: duckdb.DuckDBPyConnection) -> None:
    """Index the articles in `delta_articles` as PRAGMA create_fts_index does: the same tokenize
    macro, stopwords and stemmer; new docids and termids after the largest ones in use."""
    con.execute(
        "CREATE TEMP TABLE delta_docs AS SELECT "
        f"(SELECT coalesce(max(docid), -1) FROM {_FTS}.docs) + row_number() OVER (ORDER BY article_id) AS docid, "
        "* REPLACE (search_form(title_search) AS title_search) FROM delta_articles"
    )
    con.execute(
        "INSERT INTO docs (article_id, version, title, source_id, url, published_at, title_search, body_search) "
        "SELECT article_id, version, title, source_id, url, published_at, title_search, body_search FROM delta_docs"
    )
    fields = " UNION ALL ".join(
        f"SELECT unnest({_FTS}.tokenize({quote_ident(f)})) AS w, docid, "
        f"(SELECT fieldid FROM {_FTS}.fields WHERE field = {quote_literal(f)}) AS fieldid FROM delta_docs"
        for f in ("title_search", "body_search")
    )
    con.execute(
        f"CREATE TEMP TABLE delta_terms AS SELECT stem(w, {quote_literal(_STEMMER)}) AS term, docid, fieldid "
        f"FROM ({fields}) WHERE w IS NOT NULL AND w <> '' AND w NOT IN (SELECT sw FROM {_FTS}.stopwords)"
    )
    con.execute(
        f"INSERT INTO {_FTS}.docs (docid, name, len) SELECT d.docid, d.article_id, coalesce(l.len, 0) "
        "FROM delta_docs AS d LEFT JOIN (SELECT docid, count(*) AS len FROM delta_terms GROUP BY docid) AS l "
        "ON l.docid = d.docid"
    )
    con.execute(
        f"INSERT INTO {_FTS}.dict (termid, term, df) "
        f"SELECT (SELECT coalesce(max(termid), -1) FROM {_FTS}.dict) + row_number() OVER (ORDER BY term), term, 0 "
        f"FROM (SELECT DISTINCT term FROM delta_terms WHERE term NOT IN (SELECT term FROM {_FTS}.dict))"
    )
    con.execute(
        f"INSERT INTO {_FTS}.terms (docid, fieldid, termid) SELECT t.docid, t.fieldid, d.termid "
        f"FROM delta_terms AS t JOIN {_FTS}.dict AS d ON d.term = t.term"
    )
    con.execute(
        f"UPDATE {_FTS}.dict SET df = {_FTS}.dict.df + s.n FROM ("
        "  SELECT term, count(DISTINCT docid) AS n FROM delta_terms GROUP BY term"
        f") AS s WHERE {_FTS}.dict.term = s.term"
    )
    con.execute(f"DELETE FROM {_FTS}.stats")
    con.execute(f"INSERT INTO {_FTS}.stats SELECT count(docid), sum(len) / count(len) FROM {_FTS}.docs")
    con.execute("DROP TABLE delta_terms")
    con.execute("DROP TABLE delta_docs")


def _reader_index(paths: LakePaths) -> Path:
    """The index file a reader opens: lake/search.duckdb, or with the lake in object storage a
    local copy of <root>search.duckdb (downloaded when it changed)."""
    built = "it is built at the end of every run (`news-etl load`/`run`) and by `news-etl maintain`"
    root = paths.catalog_setting.data_path
    if root:
        try:
            return fetch_index(root, paths.search_cache)
        except IndexMissing as err:
            raise SearchUnavailable(f"{err}: {built}") from None
        except (ObjectStoreError, OSError) as err:
            raise SearchUnavailable(f"search index unavailable: {err}") from None
    path = paths.lake_dir / SEARCH_FILE
    if not path.exists():
        raise SearchUnavailable(f"no search index at {path}: {built}")
    return path


@dataclass(frozen=True, slots=True)
class SearchFilter:
    """Narrows a search before ranking: outlets, a publication date window (`since` inclusive,
    `until` exclusive, UTC; undated articles are left out when either is set), and whether every
    query word must match (`all_words`; else any word does and more matches rank higher)."""

    sources: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    all_words: bool = False


def search(
    paths: LakePaths, query: str, limit: int = 20, where: SearchFilter | None = None, limits: QueryLimits | None = None
) -> list[Hit]:
    """Best BM25 matches for a free-text query (words are stemmed; all fields searched), within
    the memory and time of `limits`."""
    where = where or SearchFilter()
    path = _reader_index(paths)
    conditions: list[str] = []
    params: list[object] = []
    if where.sources:
        conditions.append("list_contains(?, source_id)")
        params.append(list(where.sources))
    if where.since is not None:
        conditions.append("published_at >= ?")
        params.append(where.since)
    if where.until is not None:
        conditions.append("published_at < ?")
        params.append(where.until)
    filters = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    limits = limits or QueryLimits()
    con = connect_memory()
    try:
        load_extension(con, "fts")
        limit_memory(con, limits, None)
        con.execute(f"ATTACH {quote_literal(str(path))} AS search (READ_ONLY)")
        con.execute("USE search")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        with statement_deadline(con, limits.timeout):
            rows = con.execute(
                "SELECT article_id, score, title, source_id, url, published_at FROM ("
                "  SELECT *, fts_main_docs.match_bm25(article_id, ?, conjunctive := ?) AS score FROM docs"
                f"{filters}) WHERE score IS NOT NULL ORDER BY score DESC, article_id LIMIT ?",
                [search_form(query), int(where.all_words), *params, limit],
            ).fetchall()
    finally:
        con.close()
    return [Hit(str(r[0]), float(r[1]), r[2], str(r[3]), r[4], r[5]) for r in rows]
