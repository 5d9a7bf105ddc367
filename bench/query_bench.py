"""Queries on a synthetic lake of 1M articles: group by source/month, the full-text search of
`news-etl search` (DuckDB fts, BM25), substring searches and a one-month scan, through the same
read-only connection `news-etl sql` uses.

    python -m bench.query_bench [--articles 1000000] [--keep DIR]

Needs no corpus: the articles are generated (12 sources x 36 months, ~50 Arabic words each).
The FTS index is built in full as the first run builds it (warehouse.search.build_search_index);
its build time, size and peak RSS of this process are printed. Then a nightly run's share is
added (`--nightly` new articles, 500 by default) and the index brought up to date as the end of
a run does it (warehouse.search.refresh_search_index: an update, not a rebuild), also timed.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from bench.common import PeakRss, fmt_mb, header, load_avg, run_cli, timed, workdir
from warehouse.paths import LakePaths
from warehouse.reader import connect_readonly
from warehouse.search import build_search_index, refresh_search_index, search, search_path
from warehouse.writer import LakeWriter

_SENTENCE = (
    "قال مصدر محلي إن قوات الأمن اعتقلت عددا من الشبان في ريف المدينة خلال حملة مداهمات واسعة شملت قرى "
    "عدة شمال شرقي سوريا وأفادت مصادر طبية بمقتل مدنيين وإصابة آخرين جراء القصف المدفعي على الأحياء "
    "السكنية بينما أعلنت الإدارة الذاتية عن فتح تحقيق في الحادثة وطالبت منظمات حقوقية بالإفراج عن "
    "المعتقلين وتأمين ممرات إنسانية للعائلات النازحة"
)
VOCAB = _SENTENCE.split()
RARE = "تلكوجر"  # in one article of 1,000: the needle for the search query
WORDS = 50

QUERIES = {
    "group by source/month": (
        "SELECT source_id, pub_year, pub_month, count(*) AS n, sum(word_count) AS words "
        "FROM articles GROUP BY ALL ORDER BY ALL"
    ),
    "search (ILIKE on body_search)": f"SELECT count(*) FROM articles WHERE body_search ILIKE '%{RARE}%'",
    # body_search is already lower-cased: a case-sensitive contains() gives the same rows
    "search (contains on body_search)": f"SELECT count(*) FROM articles WHERE contains(body_search, '{RARE}')",
    "search + fetch rows": (
        f"SELECT article_id, title, published_at FROM articles WHERE body_search ILIKE '%{RARE}%' "
        "ORDER BY published_at DESC LIMIT 50"
    ),
    "one-month scan (aggregate)": (
        "SELECT source_id, count(*), avg(word_count) FROM articles WHERE pub_year = 2024 AND pub_month = 6 GROUP BY 1"
    ),
    "one-month scan (all columns)": "SELECT * FROM articles WHERE pub_year = 2024 AND pub_month = 6",
}


def build(data_dir: Path, n: int, start: int = 0) -> None:
    vocab = "[" + ", ".join("'" + w + "'" for w in VOCAB) + "]"
    words = (
        f"array_to_string(list_transform(range({WORDS}), x -> {vocab}[1 + (hash(i * 131 + x) % {len(VOCAB)})::INTEGER]), ' ')"
        f" || CASE WHEN i % 1000 = 7 THEN ' {RARE}' ELSE '' END"
    )
    sql = f"""
        INSERT INTO articles
        SELECT md5(i::VARCHAR)[:20] AS article_id, 1 AS version, 'src-' || (i % 12) AS source_id,
               'Outlet ' || (i % 12) AS outlet, 'https://example.org/' || i AS url, 'https://example.org/' || i AS input_ref,
               'عنوان الخبر رقم ' || i AS title, NULL AS subtitle, NULL AS byline, NULL AS section,
               make_timestamptz(y, m, 1 + (i % 28), 8, 0, 0.0, 'UTC') AS published_at, 'day' AS published_precision,
               NULL AS date_note, 'ar' AS language, body, body AS body_search, {WORDS} AS word_count,
               md5(body)[:32] AS content_hash, md5(i::VARCHAR)[:20] AS cluster_id, 'url:https://example.org/' || i AS identity,
               'synthetic' AS extractor, 'bench' AS run_id, now() AS ingested_at, y AS pub_year, m AS pub_month,
               NULL AS source_from
        FROM (SELECT i, 2023 + ((i // 12) % 36) // 12 AS y, 1 + ((i // 12) % 36) % 12 AS m, {words} AS body
              FROM range({start}, {start + n}) t(i))
    """
    commit_sql(data_dir, [sql])


def commit_sql(data_dir: Path, statements: list[str]) -> None:
    """Run statements against the lake's writer, one DuckLake commit each, then publish."""
    with LakeWriter(LakePaths(data_dir)) as writer:
        for sql in statements:
            writer.con.execute("BEGIN")
            writer.con.execute(sql)
            writer.con.execute("COMMIT")
        writer.publish()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--nightly", type=int, default=500, help="articles added before the index update")
    args = parser.parse_args(argv)
    header(f"Queries on a synthetic lake of {args.articles:,} articles")
    with workdir("query") as tmp:
        data = Path(tmp) / "data"
        print(f"building the lake, load avg {load_avg()} ...", flush=True)
        with timed() as t:
            build(data, args.articles)
        files = list((data / "lake" / "files").rglob("*.parquet"))
        size = sum(f.stat().st_size for f in files)
        print(f"  built in {t.seconds:.1f} s: {len(files)} Parquet files, {fmt_mb(size)}")
        paths = LakePaths(data)
        print(f"building the search index, load avg {load_avg()} ...", flush=True)
        with timed() as t, PeakRss() as rss, LakeWriter(paths) as writer:
            indexed = build_search_index(writer.con, paths)
        print(f"  indexed {indexed:,} articles in {t.seconds:.1f} s: {fmt_mb(search_path(paths).stat().st_size)},"
              f" peak RSS {fmt_mb(rss.peak)}")
        print(f"adding {args.nightly:,} articles and updating the search index, load avg {load_avg()} ...", flush=True)
        build(data, args.nightly, start=args.articles)
        with timed() as t, PeakRss() as rss, LakeWriter(paths) as writer:
            refresh = refresh_search_index(writer.con, paths)
        print(f"  {refresh.mode}: {refresh.added:,} articles added in {t.seconds:.1f} s (index of {refresh.indexed:,}):"
              f" {fmt_mb(search_path(paths).stat().st_size)}, peak RSS {fmt_mb(rss.peak)}")
        with timed() as t, LakeWriter(paths) as writer:
            again = refresh_search_index(writer.con, paths)
        print(f"  {again.mode}: nothing to add, checked in {t.seconds:.1f} s")
        times, hits = [], 0
        for _ in range(args.repeat):
            start = time.perf_counter()
            hits = len(search(paths, RARE, limit=50))  # what `news-etl search` runs
            times.append(time.perf_counter() - start)
        print(f"  {'search (FTS, BM25, top 50)':<30} first {times[0] * 1000:7.0f} ms,"
              f" median {statistics.median(times) * 1000:7.0f} ms ({hits} rows)")
        for name, sql in QUERIES.items():
            times, rows = [], 0
            for _ in range(args.repeat):
                con = connect_readonly(paths)  # a fresh connection each time, as `news-etl sql` does
                start = time.perf_counter()
                rows = len(con.execute(sql).fetchall())
                times.append(time.perf_counter() - start)
                con.close()
            print(f"  {name:<30} first {times[0] * 1000:7.0f} ms, median {statistics.median(times) * 1000:7.0f} ms ({rows} rows)")
        cli = run_cli(["sql", "SELECT count(*) FROM articles WHERE pub_year = 2024 AND pub_month = 6", "--format", "csv"], data)
        print(f"  `news-etl sql` one-month count, whole command: {cli.wall * 1000:.0f} ms (exit {cli.code})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
