"""HTML throughput: the whole load path on the 181 aeb pages (repeated to >= 2,000 documents)
beside a bare single-process `trafilatura.extract` loop over the same bytes, in the same run
(once before and once after the load; the ratio uses the faster, so a busy moment cannot flatter it).

    python -m bench.html_throughput [--min-docs 2000] [--workers 2]

Prints docs/s and MB/s for both, the ratio (target >= 1.6x on 2 cores) and peak memory. The
pipeline runs trafilatura's fast mode, and a recall pass and its full readability/jusText
comparison only where the fast result looks incomplete (bench.quality scores each choice), so a
third loop, `trafilatura.extract(fast=True)`, shows the cost of the fast pass alone;
`--html-fallback` loads with the comparison on every page instead. The load
path is the real `news-etl load` (Prefect flow, process pool, DuckLake commits) with the data dir's Prefect
server as a user runs it:
after a warm-up command in the same data dir (its local Prefect server up), wall time of the whole
command beside the flow time; the warm-up's own time is what a first command in a new data dir
pays on top.
"""

from __future__ import annotations

import argparse
import gzip
import math
import time
from pathlib import Path

import trafilatura

from bench.common import (
    PeakRss,
    check,
    corpus,
    fmt_mb,
    header,
    last_run,
    load_avg,
    local_server,
    run_cli,
    skipped,
    workdir,
)


def prepare(src: Path, dest: Path, min_docs: int) -> tuple[list[bytes], int]:
    """Unpack the pages into dest/copy-NN/*.html, repeated until there are >= min_docs files."""
    pages = sorted(src.glob("*.html.gz"))
    blobs = [gzip.decompress(p.read_bytes()) for p in pages]
    repeats = max(1, math.ceil(min_docs / max(len(blobs), 1)))
    for r in range(repeats):
        folder = dest / f"copy-{r:02d}"
        folder.mkdir(parents=True)
        for page, blob in zip(pages, blobs, strict=True):
            (folder / page.name.removesuffix(".gz")).write_bytes(blob)
    return blobs, repeats


def bare_loop(blobs: list[bytes], repeats: int, *, fast: bool = False) -> tuple[float, int]:
    """Single process, default settings (or fast mode): what a user gets from trafilatura alone."""
    extracted = 0
    start = time.perf_counter()
    for _ in range(repeats):
        for blob in blobs:
            if trafilatura.extract(blob, fast=fast):
                extracted += 1
    return time.perf_counter() - start, extracted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--min-docs", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=400)
    parser.add_argument("--html-fallback", action="store_true", help="load with trafilatura's fallback comparison on")
    args = parser.parse_args(argv)

    src = corpus("aeb")
    if src is None or not (src / "html").is_dir():
        return skipped("the aeb corpus (corpora/aeb/html)")
    header("HTML throughput (aeb pages)")
    with workdir("html") as tmp:
        base = Path(tmp)
        blobs, repeats = prepare(src / "html", base / "in", args.min_docs)
        docs = len(blobs) * repeats
        total_bytes = sum(len(b) for b in blobs) * repeats
        print(f"input: {len(blobs)} pages x {repeats} = {docs} documents, {fmt_mb(total_bytes)} of HTML")

        def bare(when: str, fast: bool = False) -> float:
            call = "trafilatura.extract(fast=True)" if fast else "trafilatura.extract"
            print(f"bare {call} loop (1 process) {when}, load avg {load_avg()} ...", flush=True)
            with PeakRss() as rss:
                seconds, ok = bare_loop(blobs, repeats, fast=fast)
            print(f"  bare loop:     {seconds:7.1f} s  {docs / seconds:7.1f} docs/s  {total_bytes / 1e6 / seconds:6.2f} MB/s"
                  f"  ({ok} with text)  peak RSS {fmt_mb(rss.peak)}")
            return seconds

        bare_before = bare("before the load")
        mode = "fallback comparison on every page" if args.html_fallback else "fast mode, recall pass and comparison where incomplete"
        print(f"news-etl load (workers={args.workers}, batch {args.batch_size}, {mode}), load avg {load_avg()} ...", flush=True)
        data = base / "data"
        with local_server(data) as cold:
            run = run_cli(
                ["load", str(base / "in"), "--workers", str(args.workers), "--batch-size", str(args.batch_size),
                 *(["--html-fallback"] if args.html_fallback else [])],
                data, {"PREFECT_LOGGING_LEVEL": "WARNING"},
            )
            check(run, "news-etl load")
            info = last_run(data)
        bare_after = bare("after the load")
        bare_fast = bare("after the load", fast=True)
        bare_s = min(bare_before, bare_after)  # the faster one: the ratio is not flattered by a busy moment
        bare_dps = docs / bare_s
        flow_s = float(info["seconds"])
        assert int(info["inputs"]) == docs, info
        flow_dps, wall_dps = docs / flow_s, docs / run.wall
        print(f"  load (flow):   {flow_s:7.1f} s  {flow_dps:7.1f} docs/s  {total_bytes / 1e6 / flow_s:6.2f} MB/s"
              f"  (runs table: started_at -> finished_at)")
        print(f"  load (wall):   {run.wall:7.1f} s  {wall_dps:7.1f} docs/s  {total_bytes / 1e6 / run.wall:6.2f} MB/s"
              f"  (process start to exit, after a warm-up command: the data dir's Prefect server up;"
              f" a first command in a new data dir pays {cold:.1f} s more to start it)")
        print(f"  outcome: {info['articles_new']} new, {info['articles_updated']} updated, {info['duplicates']} duplicates,"
              f" {info['rejects']} rejects, {info['batches']} batches (repeated pages are duplicates after the first copy)")
        print(f"  peak RSS of the load process tree: {fmt_mb(run.peak_rss)} (flow process + {args.workers} workers)")
        print(f"ratio load/bare: {flow_dps / bare_dps:.2f}x on flow time, {wall_dps / bare_dps:.2f}x on wall time"
              f" (target >= 1.6x; against the faster of the two bare loops, {bare_s:.1f} s)")
        fast_dps = docs / bare_fast
        print(f"ratio load/bare fast mode: {flow_dps / fast_dps:.2f}x on flow time, {wall_dps / fast_dps:.2f}x on wall time"
              f" (the fast pass alone, {bare_fast:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
