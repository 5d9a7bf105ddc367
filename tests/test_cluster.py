"""Beyond one machine, all parts real and together, each a separate process on 127.0.0.1: the
lake's data files and search index on an S3-compatible server (moto's standalone server), its
catalog in PostgreSQL, extraction on a Dask scheduler with two workers, flows on the session's
Prefect server, and readers that have nothing but the environment:

* `news-etl load --runner dask` of the samples and a few hundred generated pages into
  DATA_PATH 's3://...', one worker SIGKILLed mid-run: every input is exactly one article,
  duplicate or reject, counts add up, no article is stored twice;
* `news-etl sql`, `search` and `report` from another data directory, a SQLAlchemy (duckdb-engine)
  client in another process;
* `news-etl maintain` on the object store: only unreferenced files deleted, readers still read;
* S3 unreachable and PostgreSQL restarted; the S3 secret appears in no table, log, artifact,
  message or file.

Skips, with the reason, only when moto's server, PostgreSQL or Dask cannot be installed here.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests import services
from tests.conftest import ROOT, SAMPLES, Cli
from tests.prefect_server import PrefectServer

BUCKET = "newsroom-lake"
ROOT_URL = f"s3://{BUCKET}/nightly/"
PAGES = 300
DUPLICATES = 12
REJECTS = 6


@dataclass
class Cluster:
    s3: services.S3Server
    pg: services.PostgresServer
    dask: services.DaskCluster
    env: dict[str, str]  # what every news-etl process of the deployment gets (no config file)
    workdir: Path


@pytest.fixture(scope="module")
def cluster(prefect_server: PrefectServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    for why in (services.missing_s3(), services.missing_postgres(), services.missing_dask()):
        if why:
            pytest.skip(why)
    workdir = tmp_path_factory.mktemp("cluster")
    started: list[services.S3Server | services.PostgresServer | services.DaskCluster] = []
    try:
        s3 = services.start_s3(workdir)
        started.append(s3)
        s3.create_bucket(BUCKET)
        pg = services.start_postgres()
        started.append(pg)
        pg.sql("CREATE DATABASE lake")
        env = {
            **prefect_server.env(), **s3.env(),
            "NEWS_ETL_CATALOG": "postgres:" + pg.dsn("lake"), "NEWS_ETL_DATA_PATH": ROOT_URL,
        }
        # the workers report their task runs to the same Prefect server and import news-etl; they
        # never touch the lake, so they get no credentials
        worker_env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "NEWS_ETL_"))}
        dask = services.start_dask(workdir, 2, {**worker_env, **prefect_server.env(), "PYTHONPATH": str(ROOT)})
        started.append(dask)
        yield Cluster(s3, pg, dask, {**env, "NEWS_ETL_DASK_ADDRESS": dask.address}, workdir)
    finally:
        for service in reversed(started):
            service.stop()


def _counts(stdout: str) -> dict[str, int]:
    """The run summary the CLI prints ("  articles new      9")."""
    return {m[1]: int(m[2]) for m in re.finditer(r"^  ([a-z ]+?)\s{2,}(\d+)$", stdout, re.MULTILINE)}


def _kill_a_worker_mid_run(cluster: Cluster, load: subprocess.Popen[str], timeout: float = 240) -> str:
    """Once a batch is committed and worker-1 is transforming a slice, SIGKILL it."""
    from distributed import Client

    deadline = time.monotonic() + timeout
    with Client(cluster.dask.address, timeout=30) as client:
        while time.monotonic() < deadline:
            assert load.poll() is None, "the load ended before a worker could be killed"
            try:
                committed = int(cluster.pg.sql(
                    "SELECT count(*) FROM ducklake_data_file f JOIN ducklake_table t USING (table_id) "
                    "WHERE t.table_name = 'articles' AND t.end_snapshot IS NULL", "lake",
                ) or 0)
            except subprocess.CalledProcessError:  # DuckLake's tables are not there yet
                committed = 0
            busy = {addr for addr, tasks in client.processing().items() if tasks}
            worker_1 = {addr for addr, info in client.scheduler_info()["workers"].items() if info.get("name") == "worker-1"}
            if committed and busy & worker_1:  # a batch is in the lake, worker-1 is transforming
                cluster.dask.kill("worker-1")
                return f"killed worker-1 after {committed} articles file(s) were committed"
            time.sleep(0.1)
    raise AssertionError("worker-1 never had a slice to transform")


@pytest.mark.slow
def test_newsroom_cluster_s3_postgres_dask(cluster: Cluster, tmp_path: Path, prefect_server: PrefectServer) -> None:
    pages = services.write_pages(tmp_path / "pages", PAGES, duplicates=DUPLICATES, rejects=REJECTS)
    samples = sorted(p for p in SAMPLES.rglob("*") if p.is_file())
    inputs = {str(p) for p in samples} | {str(p) for p in pages.folder.iterdir()}
    assert len(inputs) == len(samples) + pages.inputs

    writer_dir, reader_dir = tmp_path / "writer", tmp_path / "reader"
    writer = Cli(writer_dir, cluster.env)
    reader = Cli(reader_dir, {k: v for k, v in cluster.env.items() if not k.startswith("PREFECT_")})
    outputs: list[str] = []

    # -- the load on Dask, one worker SIGKILLed mid-run ------------------------------------------------
    env = {**os.environ, **cluster.env, "NEWS_ETL_DATA_DIR": str(writer_dir)}
    load = subprocess.Popen(
        [sys.executable, "-m", "cli", "load", str(SAMPLES), str(pages.folder), "--runner", "dask", "--batch-size", "40"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    out: list[str] = []
    drain = [threading.Thread(target=lambda s=s: out.append(s.read()), daemon=True) for s in (load.stdout, load.stderr)]
    for t in drain:
        t.start()
    try:
        killed = _kill_a_worker_mid_run(cluster, load)
        code = load.wait(600)
    finally:
        if load.poll() is None:
            load.kill()
    for t in drain:
        t.join(10)
    outputs += out
    assert code == 0, f"{killed}; load failed:\n" + "\n".join(out)[-4000:]
    summary = _counts("\n".join(out))
    expected_new = len(samples) + pages.articles
    assert summary["articles new"] == expected_new, summary
    assert (summary["duplicates"], summary["rejects"]) == (pages.duplicates, pages.rejects), summary

    # every input is exactly one article, duplicate or reject; nothing stored twice
    run = writer.sql_json("select run_id, status, parameters, inputs, articles_new, articles_updated, duplicates, rejects from runs")
    assert len(run) == 1 and run[0]["status"] == "completed", run
    r = run[0]
    assert r["inputs"] == len(inputs) == r["articles_new"] + r["articles_updated"] + r["duplicates"] + r["rejects"], r
    seen = writer.sql_json(
        "select input_ref, count(*) as n from (select input_ref from article_inputs union all select input_ref from rejects) "
        "group by 1 order by 1"
    )
    assert {row["input_ref"] for row in seen} == inputs
    assert all(row["n"] == 1 for row in seen), [row for row in seen if row["n"] != 1][:5]
    assert writer.sql_json(
        "select count(*) as n, count(distinct article_id) as ids, count(distinct content_hash) as bodies from articles"
    ) == [{"n": expected_new, "ids": expected_new, "bodies": expected_new}]

    # the data files are in the bucket, none on the writer's disk; the catalog says s3://
    objects = cluster.s3.objects(BUCKET)
    parquet = [k for k in objects if k.endswith(".parquet")]
    assert parquet and all(k.startswith("nightly/files/main/") for k in parquet)
    assert "nightly/search.duckdb" in objects
    assert not (writer_dir / "lake" / "files").exists()
    assert writer.sql_json("select value from __ducklake_metadata_lake.ducklake_metadata where key = 'data_path'") == [
        {"value": ROOT_URL + "files/"}
    ]

    # -- readers with only the environment ------------------------------------------------------------
    counted = reader.sql_json("select count(*) as n from articles")
    assert counted == [{"n": expected_new}]
    hits = reader("search", "التحالف الدولي", "--limit", "5", "--format", "json")
    outputs += [hits.stdout, hits.stderr]
    assert hits.code == 0, hits.stderr
    assert len(json.loads(hits.stdout)) == 5
    cached = list((reader_dir / "cache").glob("search-*.duckdb"))
    assert len(cached) == 1 and not (reader_dir / "lake" / "files").exists()
    again = reader("search", "التحالف الدولي", "--limit", "5", "--format", "json")  # the cached copy
    assert again.code == 0 and again.stdout == hits.stdout, again.stderr
    assert list((reader_dir / "cache").glob("search-*.duckdb")) == cached

    report = reader("report", "--out", str(tmp_path / "report.html"))
    outputs += [report.stdout, report.stderr]
    assert report.code == 0 and (tmp_path / "report.html").stat().st_size > 0, report.stderr

    bi = _bi_client(cluster, tmp_path)
    outputs.append(json.dumps(bi))
    assert bi["articles"] == bi["distinct_articles"] == bi["daily"] == expected_new, bi
    assert bi["data_path"] == ROOT_URL + "files/" and {"articles", "runs", "events"} <= set(bi["tables"])
    assert bi["write"].startswith("refused"), bi

    # the reader's lock-down holds on S3: only the lake's prefix, no unredacted secret
    for query in (
        f"select * from read_blob('s3://{BUCKET}/nightly/search.duckdb')",
        f"select * from glob('s3://{BUCKET}/**')",
        f"copy (select 1) to '{ROOT_URL}files/leak.csv'",
        "select * from duckdb_secrets(redact => false)",
        "select secret_string from duckdb_secrets()",
    ):
        res = reader("sql", query)
        outputs += [res.stdout, res.stderr]
        assert res.code == 1 and "Traceback" not in res.stderr, (query, res.stderr)

    # -- maintenance on the object store ------------------------------------------------------------
    client = cluster.s3.client()
    orphan = "nightly/files/main/articles/ducklake-orphan-left-by-a-killed-commit.parquet"
    client.copy_object(Bucket=BUCKET, Key=orphan, CopySource={"Bucket": BUCKET, "Key": parquet[0]})
    client.put_object(Bucket=BUCKET, Key="nightly/README.txt", Body=b"not DuckLake's")
    before = cluster.s3.objects(BUCKET)
    maintained = writer("maintain", "--expire-days", "0", "--grace-hours", "0")
    outputs += [maintained.stdout, maintained.stderr]
    assert maintained.code == 0, maintained.stderr
    stats = _counts(maintained.stdout)
    assert stats["files merged"] > 0 and stats["snapshots expired"] > 0 and stats["orphans deleted"] >= 1, stats
    after = cluster.s3.objects(BUCKET)
    deleted = set(before) - set(after)
    referenced = _referenced_keys(writer)
    assert orphan in deleted and not (deleted & referenced), sorted(deleted & referenced)[:3]
    assert referenced <= set(after), sorted(referenced - set(after))[:3]
    assert {"nightly/README.txt", "nightly/search.duckdb"} <= set(after)
    assert all(k.startswith("nightly/files/") for k in deleted)
    assert reader.sql_json("select count(*) as n, count(distinct article_id) as ids from articles") == [
        {"n": expected_new, "ids": expected_new}
    ]
    assert reader.sql_json("select count(*) as n from article_versions") == [{"n": expected_new}]
    assert _bi_client(cluster, tmp_path)["articles"] == expected_new
    hits = reader("search", "التحالف الدولي", "--limit", "5", "--format", "json")
    assert hits.code == 0 and len(json.loads(hits.stdout)) == 5, hits.stderr

    # -- failure modes: PostgreSQL restarts, S3 unreachable --------------------------------------------
    cluster.pg.restart()
    assert reader.sql_json("select count(*) as n from articles") == [{"n": expected_new}]
    gone = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{services.free_port()}"}
    for args in (("sql", "select count(distinct title) from articles"), ("load", str(SAMPLES))):
        res = writer(*args, extra_env=gone)
        outputs += [res.stdout, res.stderr]
        assert res.code == 1 and "Traceback" not in res.stderr, res.stderr
    assert "cannot reach the lake's object storage" in res.stderr
    assert writer.sql_json("select count(*) as n from runs") == [{"n": 2}]  # the refused load started no run

    # -- the secret is nowhere ------------------------------------------------------------------------
    secret = cluster.s3.secret
    for text in outputs:
        assert secret not in text
    assert secret not in json.dumps(writer.sql_json("select * from runs"), default=str)
    assert secret not in json.dumps(writer.sql_json("select * from data_tests"), default=str)
    assert secret not in _prefect_records(prefect_server)
    for folder in (writer_dir, reader_dir, cluster.workdir, Path(prefect_server.home), cluster.pg.home):
        leaked = _files_containing(folder, secret.encode())
        assert not leaked, leaked


def _bi_client(cluster: Cluster, tmp_path: Path) -> dict[str, object]:
    home = tmp_path / "bi-home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWS_ETL_", "AWS_"))}
    env.update({k: v for k, v in cluster.env.items() if k.startswith("AWS_") or k == "NEWS_ETL_CATALOG"})
    env["HOME"] = str(home)  # extensions go to ~/.duckdb of this "host"
    res = subprocess.run([sys.executable, "-m", "tests.remote_reader"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=180, check=False)
    assert res.returncode == 0, res.stderr
    return dict(json.loads(res.stdout))


def _referenced_keys(cli: Cli) -> set[str]:
    """Object keys of every data and delete file the catalog references."""
    rows = cli.sql_json(
        "select s.path as s, t.path as t, f.path as f, f.path_is_relative as rel from ("
        " select table_id, path, path_is_relative from __ducklake_metadata_lake.ducklake_data_file"
        " union all select table_id, path, path_is_relative from __ducklake_metadata_lake.ducklake_delete_file) f"
        " join (select distinct table_id, schema_id, path from __ducklake_metadata_lake.ducklake_table) t using (table_id)"
        " join (select distinct schema_id, path from __ducklake_metadata_lake.ducklake_schema) s using (schema_id)"
    )
    prefix = f"s3://{BUCKET}/"
    return {
        (ROOT_URL + "files/" + str(r["s"]) + str(r["t"]) + str(r["f"]) if r["rel"] else str(r["f"])).removeprefix(prefix)
        for r in rows
    }


def _prefect_records(server: PrefectServer) -> str:
    """Every log line, artifact and flow run (with its parameters) the Prefect server holds."""
    out = []
    with httpx.Client(base_url=server.url, timeout=60) as http:
        for what in ("logs", "artifacts", "flow_runs", "task_runs"):
            offset = 0
            while True:
                page = http.post(f"/{what}/filter", json={"limit": 200, "offset": offset}).json()
                out.append(json.dumps(page))
                if len(page) < 200:
                    break
                offset += 200
    text = "\n".join(out)
    assert "news-etl-summary" in text and "batch 0 committed" in text  # the records are there
    return text


def _files_containing(folder: Path, needle: bytes) -> list[str]:
    found = []
    for path in folder.rglob("*"):
        try:
            if path.is_file() and needle in path.read_bytes():
                found.append(str(path))
        except OSError:
            continue
    return found
