"""`news-etl status` on a synthetic lake: N articles of 12 sources ingested over a year of nights,
with a fetch log of every night (the views source_nights and source_freshness do the work).

    python -m bench.status_bench [--articles 1000000] [--nights 365] [--repeat 3]

Needs no corpus. Prints the time of the freshness view alone (a fresh read-only connection, as
`news-etl status` opens it) and of the whole command (a new process, JSON output).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from bench.common import header, load_avg, run_cli, timed, workdir
from bench.query_bench import build, commit_sql
from warehouse.paths import LakePaths
from warehouse.reader import connect_readonly


def history(data_dir: Path, articles: int, nights: int) -> None:
    """article_inputs for every article (one night each, spread over `nights`) and a fetch log of
    12 sources x `nights` x 20 URLs."""
    commit_sql(data_dir, [
        f"""INSERT INTO article_inputs
            SELECT article_id, input_ref, source_id, url, content_hash, 'stored', 'bench',
                   TIMESTAMPTZ '2025-01-01 23:30:00+00' + to_days(CAST(hash(article_id) % {nights} AS INTEGER))
            FROM articles""",
        f"""INSERT INTO fetch_log
            SELECT 'fetch-' || n, 'src-' || s, 'https://example.org/' || s || '/' || n || '/' || u, NULL,
                   CASE WHEN u = 0 THEN 'feed' ELSE 'page' END, 200, 'ok', NULL, NULL, 1, 1000,
                   TIMESTAMPTZ '2025-01-01 23:30:00+00' + to_days(CAST(n AS INTEGER))
            FROM range({nights}) a(n), range(12) b(s), range(20) c(u)""",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--nights", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    header(f"news-etl status on a synthetic lake of {args.articles:,} articles over {args.nights} nights")
    with workdir("status") as tmp:
        data = Path(tmp) / "data"
        print(f"building the lake, load avg {load_avg()} ...", flush=True)
        with timed() as t:
            build(data, args.articles)
            history(data, args.articles, args.nights)
        print(f"  built in {t.seconds:.1f} s")
        paths = LakePaths(data)
        times = []
        for _ in range(args.repeat):
            con = connect_readonly(paths)
            start = time.perf_counter()
            rows = con.execute("SELECT * FROM source_freshness").fetchall()
            times.append(time.perf_counter() - start)
            con.close()
        print(f"  source_freshness view: first {times[0]:.2f} s, median {statistics.median(times):.2f} s ({len(rows)} sources)")
        walls = [run_cli(["status", "--format", "json"], data).wall for _ in range(args.repeat)]
        print(f"  `news-etl status --format json`, whole command: median {statistics.median(walls):.2f} s"
              f" (load avg {load_avg()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
