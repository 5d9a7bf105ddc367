"""The cluster set-up measured: `news-etl load --runner dask` on a Dask scheduler with 1 and 2
worker processes, the catalog in PostgreSQL, the data files on an S3-compatible server (moto's
standalone server, all on 127.0.0.1), beside the same load with the files on local disk.

    python -m bench.cluster_bench [--pages 600] [--workers 1,2] [--batch-size 100] [--delays 0.02]

Prints per configuration: pages/s (flow time) and per worker, the workers' seconds per page
(sum of `extract-slice` task times), commit time per batch (the `commit-batch` tasks: DuckLake
commit of every table, Parquet written to the store, catalog rows in PostgreSQL), S3 requests
and MB stored, peak RSS of the writer and of one worker.

The pages are the aeb corpus (../shared/corpora/aeb, repeated under new names) when present,
else generated Arabic pages (tests/services.py), which extract faster than real ones.

moto on loopback is not S3: no network round trip, no bandwidth limit, an in-memory store.
`--delays` adds a fixed delay to every request (a proxy in front of moto that holds each request
for that long: a stand-in for a round trip to a remote store, tens of ms for S3 from outside the
region); it does not model bandwidth, throttling or S3's own latency distribution.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.common import PeakRss, PrefectServer, corpus, header, load_avg, tree_rss, workdir
from tests import services

ROOT = Path(__file__).resolve().parent.parent
BUCKET = "bench-lake"


@dataclass
class Measured:
    label: str
    workers: int
    inputs: int
    articles: int
    flow_seconds: float
    wall_seconds: float
    slice_seconds: float
    commits: list[float]
    requests: int
    stored_mb: float
    index_mb: float
    writer_rss: int
    worker_rss: int

    def row(self) -> str:
        rate = self.inputs / self.flow_seconds if self.flow_seconds else 0.0
        commits = sorted(self.commits)
        med = statistics.median(commits) if commits else 0.0
        return (
            f"| {self.label} | {self.workers} | {self.inputs} | {self.flow_seconds:.1f} | {rate:.1f} | "
            f"{rate / max(self.workers, 1):.1f} | {self.slice_seconds / max(self.inputs, 1) * 1000:.0f} | "
            f"{len(commits)} | {med:.2f} / {commits[-1] if commits else 0:.2f} | "
            f"{self.requests} | {self.stored_mb:.1f} / {self.index_mb:.1f} | "
            f"{self.writer_rss / 1e6:.0f} / {self.worker_rss / 1e6:.0f} |"
        )


HEADER = (
    "| lake files | Dask workers | pages | flow s | pages/s | pages/s per worker | worker ms per page | commits | "
    "commit s per batch (median / max) | S3 requests in the run | MB data files / search index | peak RSS MB writer / worker |\n"
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
)


def prepare_pages(dest: Path, count: int) -> str:
    aeb = corpus("aeb")
    if aeb is None:
        services.write_pages(dest, count)
        return f"{count} generated pages (tests/services.py; the aeb corpus was not found)"
    pages = sorted((aeb / "html").glob("*.html.gz"))
    blobs = [gzip.decompress(p.read_bytes()) for p in pages]
    dest.mkdir(parents=True)
    for n in range(count):
        (dest / f"{n:05d}-{pages[n % len(pages)].name.removesuffix('.gz')}").write_bytes(blobs[n % len(blobs)])
    return f"{count} aeb pages ({len(pages)} distinct, repeated under new names: the repeats are duplicates)"


def task_runs(prefect: PrefectServer, since: datetime) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    with httpx.Client(base_url=prefect.url, timeout=60) as http:
        while True:
            page = http.post("/task_runs/filter", json={
                "task_runs": {"start_time": {"after_": since.isoformat()}}, "limit": 200, "offset": len(out),
            }).json()
            out += page
            if len(page) < 200:
                return out


def run_load(
    label: str, pages: Path, workers: int, *, env: dict[str, str], prefect: PrefectServer, s3: services.S3Server,
    data_dir: Path, batch_size: int, scratch: Path, prefix: str,
) -> Measured:
    worker_env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "NEWS_ETL_"))}
    dask = services.start_dask(scratch, workers, {**worker_env, **prefect.env(), "PYTHONPATH": str(ROOT)})
    try:
        requests_before = s3.log.read_text(errors="replace").count("HTTP/1.1\"")
        since = datetime.now(UTC)
        full_env = {**os.environ, **env, "NEWS_ETL_DASK_ADDRESS": dask.address, "NEWS_ETL_DATA_DIR": str(data_dir)}
        start = time.perf_counter()
        log = scratch / f"{prefix}-load.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "cli", "load", str(pages), "--runner", "dask", "--batch-size", str(batch_size)],
                cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT,
            )
            worker_peak = 0
            with PeakRss(proc.pid) as rss:
                while proc.poll() is None:
                    worker_peak = max([worker_peak, *(tree_rss(p.pid) for p in dask.workers.values())])
                    time.sleep(0.2)
        wall = time.perf_counter() - start
        err = log.read_text(errors="replace")
        if proc.returncode != 0:
            raise SystemExit(f"{label}, {workers} worker(s): load failed (exit {proc.returncode}):\n{err[-3000:]}")
        requests = s3.log.read_text(errors="replace").count("HTTP/1.1\"") - requests_before
    finally:
        dask.stop()
    query = subprocess.run(
        [sys.executable, "-m", "cli", "sql", "select inputs, articles_new, epoch(finished_at) - epoch(started_at) as s "
         "from runs where flow = 'load' order by started_at desc limit 1", "--format", "json"],
        cwd=ROOT, env=full_env, capture_output=True, text=True, check=True,
    )
    run = json.loads(query.stdout)[0]
    tasks = task_runs(prefect, since)
    slices = sum(float(t["total_run_time"]) for t in tasks if t["name"].startswith("extract-slice"))
    commits = [float(t["total_run_time"]) for t in tasks if t["name"].startswith("commit-batch")]
    if env.get("NEWS_ETL_DATA_PATH"):
        objects = s3.objects(BUCKET, prefix + "/")
        stored = sum(size for key, size in objects.items() if key.startswith(prefix + "/files/"))
        index = objects.get(prefix + "/search.duckdb", 0)
    else:
        stored = sum(p.stat().st_size for p in (data_dir / "lake" / "files").rglob("*") if p.is_file())
        index = (data_dir / "lake" / "search.duckdb").stat().st_size
    return Measured(
        label, workers, int(run["inputs"]), int(run["articles_new"]), float(run["s"]), wall, slices, commits,
        requests if env.get("NEWS_ETL_DATA_PATH") else 0, stored / 1e6, index / 1e6, rss.peak, worker_peak,
    )


def request_latency(s3: services.S3Server, endpoint: str, n: int = 20) -> float:
    """Median seconds of a HEAD of one object through `endpoint` (a fresh connection each)."""
    import boto3  # noqa: PLC0415  # the s3 extra, needed only here

    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id=services.ACCESS_KEY, aws_secret_access_key=s3.secret)
    client.put_object(Bucket=BUCKET, Key="latency-probe", Body=b"x")
    times = []
    for _ in range(n):
        start = time.perf_counter()
        client.head_object(Bucket=BUCKET, Key="latency-probe")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=600)
    ap.add_argument("--workers", default="1,2", help="Dask worker counts to measure (default 1,2)")
    ap.add_argument("--batch-size", type=int, default=100)
    ap.add_argument("--delays", default="0.02", help="added seconds per S3 request, comma-separated (default 0.02; '' for none)")
    ap.add_argument("--no-local", action="store_true", help="skip the baseline with the files on local disk")
    args = ap.parse_args(argv)
    header("cluster: Dask workers, PostgreSQL catalog, files on S3 (moto) or local disk")
    for why in (services.missing_s3(), services.missing_postgres(), services.missing_dask()):
        if why:
            print(f"skipped: {why}")
            return 0
    counts = [int(x) for x in args.workers.split(",") if x.strip()]
    delays = [float(x) for x in args.delays.split(",") if x.strip()]
    with workdir("cluster") as tmp:
        scratch = Path(tmp)
        what = prepare_pages(scratch / "pages", args.pages)
        print(f"inputs: {what}; batch size {args.batch_size}")
        results: list[Measured] = []
        s3 = services.start_s3(scratch)
        pg = services.start_postgres()
        try:
            s3.create_bucket(BUCKET)
            with PrefectServer(scratch / "prefect") as prefect:
                configs: list[tuple[str, int, dict[str, str]]] = []
                if not args.no_local:
                    configs.append(("local disk", max(counts), {}))
                configs += [("S3 loopback", n, s3.env()) for n in counts]
                print(f"S3 request (HEAD) median: {request_latency(s3, s3.endpoint) * 1000:.1f} ms direct", end="")
                for d in delays:
                    endpoint = s3.delayed(d)
                    print(f", {request_latency(s3, endpoint) * 1000:.1f} ms through the +{d * 1000:.0f} ms proxy", end="")
                    configs.append((f"S3 +{d * 1000:.0f} ms/request", max(counts), s3.env(endpoint)))
                print()
                for n, (label, workers, extra) in enumerate(configs):
                    db = f"lake{n}"
                    pg.sql(f"CREATE DATABASE {db}")
                    env = {**prefect.env(), **extra, "NEWS_ETL_CATALOG": "postgres:" + pg.dsn(db)}
                    prefix = f"run{n}"
                    if extra:
                        env["NEWS_ETL_DATA_PATH"] = f"s3://{BUCKET}/{prefix}/"
                    print(f"  {label}, {workers} worker(s)... (load avg {load_avg()})", flush=True)
                    m = run_load(label, scratch / "pages", workers, env=env, prefect=prefect, s3=s3, prefix=prefix,
                                 data_dir=scratch / f"data{n}", batch_size=args.batch_size, scratch=scratch)
                    results.append(m)
                    print("    " + m.row(), flush=True)
        finally:
            s3.stop()
            pg.stop()
    print()
    print(HEADER)
    for m in results:
        print(m.row())
    print(f"\nload avg at the end: {load_avg()}; moto on loopback is not S3 latency (see --delays and the module doc)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
