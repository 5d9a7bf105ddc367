"""A nightly run into a big lake: the same `news-etl load` of new articles into an empty lake and
into a synthetic lake of 1M articles (with the side tables a real lake has: versions, inputs,
near-duplicate signatures and LSH buckets, and a full-text index), timed in the same run.

    python -m bench.nightly_bench [--articles 1000000] [--nightly 2000]

The new articles are the first `--nightly` SaudiNewsNet articles as jsonl (skipped cleanly when
../shared/corpora is absent). What it shows: how much of a nightly run's time grows with the lake
(duplicate look-ups, near-duplicate candidates, the catalog copy, the search index update).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.common import PrefectServer, corpus, fmt_mb, header, last_run, load_avg, run_cli, skipped, timed, workdir
from bench.query_bench import build, commit_sql
from bench.text_throughput import build_jsonl
from warehouse.paths import LakePaths
from warehouse.search import build_search_index, search_path
from warehouse.writer import LakeWriter

BANDS = 32


def side_tables(data_dir: Path) -> None:
    """Rows a real load writes beside `articles`, for every synthetic article."""
    statements = [
        "INSERT INTO article_versions SELECT * FROM articles",
        "INSERT INTO article_inputs SELECT article_id, input_ref, source_id, url, content_hash, 'stored', run_id, ingested_at "
        "FROM articles",
        "INSERT INTO article_minhash SELECT article_id, cluster_id, repeat(md5(article_id), 32), run_id FROM articles",
        f"INSERT INTO article_lsh SELECT a.article_id, b.band::INTEGER, (hash(a.article_id, b.band) >> 1)::BIGINT, a.run_id "
        f"FROM articles AS a, range({BANDS}) AS b(band)",
    ]
    commit_sql(data_dir, statements)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--articles", type=int, default=1_000_000, help="articles already in the big lake")
    parser.add_argument("--nightly", type=int, default=2000, help="new articles loaded by the nightly run")
    args = parser.parse_args(argv)
    src = corpus("saudinewsnet")
    if src is None or not any(src.glob("*.json.gz")):
        return skipped("the SaudiNewsNet corpus (corpora/saudinewsnet/*.json.gz)")
    header(f"A nightly run of {args.nightly:,} articles into an empty lake and into one of {args.articles:,}")
    with workdir("nightly") as tmp:
        base = Path(tmp)
        jsonl = base / "nightly.jsonl"
        build_jsonl(src, jsonl, args.nightly)
        big = base / "big"
        print(f"building the big lake, load avg {load_avg()} ...", flush=True)
        with timed() as t:
            build(big, args.articles)
            side_tables(big)
        files = list((big / "lake" / "files").rglob("*.parquet"))
        print(f"  built in {t.seconds:.1f} s: {len(files)} Parquet files, {fmt_mb(sum(f.stat().st_size for f in files))};"
              f" catalog {fmt_mb((big / 'lake' / 'catalog.ducklake').stat().st_size)}")
        with timed() as t, LakeWriter(LakePaths(big)) as writer:
            build_search_index(writer.con, LakePaths(big))
        print(f"  search index built in {t.seconds:.1f} s ({fmt_mb(search_path(LakePaths(big)).stat().st_size)})")
        with PrefectServer(base / "prefect") as server:
            for name, data in (("empty lake", base / "empty"), (f"lake of {args.articles:,}", big)):
                print(f"news-etl load of {args.nightly:,} articles into the {name}, load avg {load_avg()} ...", flush=True)
                run = run_cli(["load", str(jsonl)], data, server.env())
                if run.code != 0:
                    print(f"  failed (exit {run.code}): {run.stderr[-500:]}")
                    return 1
                info = last_run(data)
                flow = float(info["seconds"])
                print(f"  flow {flow:6.1f} s ({args.nightly / flow:6.1f} docs/s), wall {run.wall:6.1f} s,"
                      f" {info['articles_new']} new, {info['duplicates']} duplicates, {info['rejects']} rejects,"
                      f" {info['batches']} batches; peak RSS {fmt_mb(run.peak_rss)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
