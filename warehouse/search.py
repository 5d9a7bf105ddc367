"""Full-text search over Arabic bodies with DuckDB's fts extension (BM25, Snowball Arabic stemmer).

An FTS index cannot live inside a DuckLake catalog, so the writer rebuilds a separate DuckDB
file after every run (and `news-etl maintain`): it streams `article_id, title, body_search` of
the latest articles into a temporary file, indexes `title_search` + `body_search`, and swaps it in
atomically as `lake/search.duckdb`. Readers attach that file READ_ONLY. A run killed while
building leaves the previous index (and a temporary file the next writer removes).

The query is normalised like `body_search` (transforms.normalize.search_form), so hamza/alef
variants, ة/ه, ى/ي and diacritics do not matter.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import datetime

import duckdb

from transforms.normalize import search_form
from warehouse.extensions import connect_memory, load_extension
from warehouse.paths import LakePaths
from warehouse.schema import quote_literal

SEARCH_FILE = "search.duckdb"
# word characters of any script are kept (the default pattern keeps only a-z)
_FTS_OPTIONS = "stemmer = 'arabic', stopwords = 'none', ignore = '[^\\p{L}\\p{N}]+', strip_accents = 0, lower = 1"


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


def search_path(paths: LakePaths) -> os.PathLike[str]:
    return paths.lake_dir / SEARCH_FILE


def build_search_index(writer: duckdb.DuckDBPyConnection, paths: LakePaths) -> int:
    """Rebuild the search index from the writer's connection (lake attached and in use) and
    publish it atomically. Returns the number of indexed articles."""
    target = paths.lake_dir / SEARCH_FILE
    tmp = target.with_name(f".{SEARCH_FILE}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    reader = writer.execute(
        "SELECT article_id, title, source_id, url, published_at, "
        "coalesce(title, '') AS title_search, body_search FROM articles"
    ).to_arrow_reader()
    con = duckdb.connect(str(tmp), config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    try:
        load_extension(con, "fts")
        # the title is normalised like the body so both match the same query form
        con.create_function("search_form", search_form, ["VARCHAR"], "VARCHAR")
        con.register("source_articles", reader)
        con.execute(
            "CREATE TABLE docs AS SELECT * REPLACE (search_form(title_search) AS title_search) FROM source_articles"
        )
        con.unregister("source_articles")
        count = con.execute("SELECT count(*) FROM docs").fetchone()
        con.execute(f"PRAGMA create_fts_index('docs', 'article_id', 'title_search', 'body_search', {_FTS_OPTIONS})")
        con.execute("CHECKPOINT")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    return int(count[0]) if count else 0


def search(paths: LakePaths, query: str, limit: int = 20) -> list[Hit]:
    """Best BM25 matches for a free-text query (words are stemmed; all fields searched)."""
    path = paths.lake_dir / SEARCH_FILE
    if not path.exists():
        raise SearchUnavailable(
            f"no search index at {path}: it is built at the end of every run (`news-etl load`/`run`) "
            "and by `news-etl maintain`"
        )
    con = connect_memory()
    try:
        load_extension(con, "fts")
        con.execute(f"ATTACH {quote_literal(str(path))} AS search (READ_ONLY)")
        con.execute("USE search")
        rows = con.execute(
            "SELECT article_id, score, title, source_id, url, published_at FROM ("
            "  SELECT *, fts_main_docs.match_bm25(article_id, ?) AS score FROM docs"
            ") WHERE score IS NOT NULL ORDER BY score DESC, article_id LIMIT ?",
            [search_form(query), limit],
        ).fetchall()
    finally:
        con.close()
    return [Hit(str(r[0]), float(r[1]), r[2], str(r[3]), r[4], r[5]) for r in rows]
