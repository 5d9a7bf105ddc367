"""Text throughput: the load path over the 31,030 SaudiNewsNet articles as jsonl.

    python -m bench.text_throughput [--limit N] [--workers 2]

Builds a jsonl file in a temp folder from corpora/saudinewsnet/*.json.gz (one JSON array per
day), runs the real `news-etl load` once and prints docs/s and the peak RSS of the load's process
tree when 10k, 20k and all documents are committed (it must stay flat: the load streams batches).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from bench.common import ROOT, PeakRss, corpus, fmt_mb, header, last_run, load_avg, local_server, skipped, tree_rss, workdir

COMMITTED = re.compile(r"batch (\d+) committed: (\d+) inputs")


def build_jsonl(src: Path, dest: Path, limit: int | None) -> tuple[int, int]:
    """SaudiNewsNet fields -> our jsonl fields (url, title, text, published_at, source_id, outlet)."""
    n = 0
    with open(dest, "w", encoding="utf-8") as out:
        for day in sorted(src.glob("*.json.gz")):
            for rec in json.loads(gzip.decompress(day.read_bytes())):
                if limit is not None and n >= limit:
                    break
                published = (rec.get("date_extracted") or "").replace(" ", "T") or None
                out.write(json.dumps({
                    "url": rec.get("url") or None,
                    "title": rec.get("title") or None,
                    "text": rec.get("content") or "",
                    "published_at": published,
                    "source_id": rec.get("source") or None,
                    "outlet": rec.get("source") or None,
                }, ensure_ascii=False) + "\n")
                n += 1
    return n, dest.stat().st_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--limit", type=int, default=None, help="use only the first N articles")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=400)
    args = parser.parse_args(argv)

    src = corpus("saudinewsnet")
    if src is None or not any(src.glob("*.json.gz")):
        return skipped("the SaudiNewsNet corpus (corpora/saudinewsnet/*.json.gz)")
    header("Text throughput (SaudiNewsNet jsonl)")
    with workdir("text") as tmp:
        base = Path(tmp)
        jsonl = base / "saudinewsnet.jsonl"
        docs, size = build_jsonl(src, jsonl, args.limit)
        print(f"input: {docs} articles, {fmt_mb(size)} of jsonl")
        marks = [m for m in (10_000, 20_000) if m < docs] + [docs]
        data = base / "data"
        with local_server(data) as cold:
            env = {**os.environ, "PREFECT_LOGGING_LEVEL": "INFO", "NEWS_ETL_DATA_DIR": str(data)}
            print(f"news-etl load (workers={args.workers}, batch {args.batch_size}), load avg {load_avg()} ...", flush=True)
            start = time.perf_counter()
            proc = subprocess.Popen(
                [sys.executable, "-m", "cli", "load", str(jsonl), "--source-id", "saudinewsnet",
                 "--workers", str(args.workers), "--batch-size", str(args.batch_size)],
                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )
            committed = 0
            with PeakRss(proc.pid) as rss:
                assert proc.stderr is not None
                for line in proc.stderr:
                    m = COMMITTED.search(line)
                    if not m:
                        continue
                    committed += int(m.group(2))
                    while marks and committed >= marks[0]:
                        now = tree_rss(proc.pid)
                        print(f"  {marks[0]:>6} docs committed after {time.perf_counter() - start:6.1f} s:"
                              f" RSS now {fmt_mb(now)}, peak so far {fmt_mb(max(rss.peak, now))}", flush=True)
                        marks.pop(0)
                proc.wait()
            wall = time.perf_counter() - start
            if proc.returncode != 0:
                assert proc.stdout is not None
                raise SystemExit(f"news-etl load failed (exit {proc.returncode})")
            info = last_run(data)
        flow_s = float(info["seconds"])
        print(f"  load (flow):   {flow_s:7.1f} s  {docs / flow_s:7.1f} docs/s  {size / 1e6 / flow_s:6.2f} MB/s")
        print(f"  load (wall):   {wall:7.1f} s  {docs / wall:7.1f} docs/s  (after a warm-up command: the data dir's"
              f" Prefect server up; a first command in a new data dir pays {cold:.1f} s more to start it)")
        print(f"  outcome: {info['articles_new']} new, {info['articles_updated']} updated, {info['duplicates']} duplicates,"
              f" {info['rejects']} rejects, {info['batches']} batches")
        print(f"  peak RSS of the load process tree: {fmt_mb(rss.peak)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
