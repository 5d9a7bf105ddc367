"""The lake's DuckLake catalog in a real PostgreSQL server (started here from Debian's postgresql
package), with the data files as Parquet on disk: the writer's commits, idempotency and a second,
independent reader (another machine) all work through the shared catalog.

The postgres extension is loaded offline from the PyPI wheel duckdb-extension-postgres_scanner
(1.5.5, matching duckdb). Skips, with the reason, where PostgreSQL or that wheel is missing.
"""

from __future__ import annotations

import dataclasses
import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.extract import process_slice
from flows.inputs import discover, plan_units
from tests.conftest import SAMPLES
from tests.prefect_server import free_port
from transforms.records import DocumentResult
from warehouse.extensions import connect_memory, load_extension
from warehouse.lake import LAKE, LakeWriter
from warehouse.paths import LakePaths
from warehouse.schema import quote_ident, quote_literal

pytestmark = pytest.mark.slow


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return versions[-1] if versions else None


try:
    import duckdb_extension_postgres_scanner  # noqa: F401  # only checks that the wheel is installed

    HAVE_WHEEL = True
except ImportError:
    HAVE_WHEEL = False


@dataclasses.dataclass
class Postgres:
    host: str
    port: int
    user: str
    dbname: str
    psql: str
    run_as: list[str]

    def dsn(self) -> str:
        return f"dbname={self.dbname} host={self.host} port={self.port} user={self.user}"

    def sql(self, query: str) -> str:
        res = subprocess.run(
            [*self.run_as, self.psql, "-h", self.host, "-p", str(self.port), "-U", self.user, "-d", self.dbname, "-tAc", query],
            capture_output=True, text=True, timeout=60, check=True,
        )
        return res.stdout.strip()


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    initdb, pg_ctl, psql = _pg_bin("initdb"), _pg_bin("pg_ctl"), _pg_bin("psql")
    if not (initdb and pg_ctl and psql):
        pytest.skip("PostgreSQL is not installed (Debian: apt-get install postgresql; .ci/run does it)")
    if not HAVE_WHEEL:
        pytest.skip("duckdb-extension-postgres_scanner is not installed (pip install -e '.[postgres]')")
    run_as: list[str] = []
    home = Path(tempfile.mkdtemp(prefix="news-etl-pg-"))
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: use the package's postgres user
        runuser = shutil.which("runuser")
        if runuser is None or subprocess.run(["id", "postgres"], capture_output=True, check=False).returncode != 0:
            pytest.skip("running as root without a 'postgres' user or runuser to start PostgreSQL")
        run_as = [runuser, "-u", "postgres", "--"]
        shutil.chown(home, "postgres")
    port = free_port()
    db = home / "db"
    subprocess.run([*run_as, initdb, "-D", str(db), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"],
                   capture_output=True, check=True, timeout=120)
    opts = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run([*run_as, pg_ctl, "-D", str(db), "-o", opts, "-l", str(home / "log"), "-w", "-t", "60", "start"],
                   capture_output=True, check=True, timeout=120)
    pg = Postgres("127.0.0.1", port, "postgres", "postgres", psql, run_as)
    try:
        pg.sql("CREATE DATABASE lake")
        yield dataclasses.replace(pg, dbname="lake")
    finally:
        subprocess.run([*run_as, pg_ctl, "-D", str(db), "-m", "fast", "-w", "stop"], capture_output=True, check=False, timeout=60)
        shutil.rmtree(home, ignore_errors=True)


class PostgresCatalogWriter(LakeWriter):
    """LakeWriter with the catalog in PostgreSQL: the same schema, commits and runs; nothing to
    publish (readers attach the transactional catalog directly)."""

    def __init__(self, paths: LakePaths, dsn: str) -> None:
        self.paths = paths
        paths.files.mkdir(parents=True, exist_ok=True)
        self.con = connect_memory()
        load_extension(self.con, "ducklake")
        load_extension(self.con, "postgres_scanner")
        self.con.execute(
            f"ATTACH {quote_literal('ducklake:postgres:' + dsn)} AS {LAKE} "
            f"(DATA_PATH {quote_literal(str(paths.files) + os.sep)}, DATA_INLINING_ROW_LIMIT 0)"
        )
        self.con.execute(f"USE {LAKE}")
        self.ensure_schema()

    def publish(self) -> None:
        return None


def sample_results() -> list[DocumentResult]:
    return process_slice(tuple(plan_units(discover([str(SAMPLES)]))))


def test_ducklake_catalog_in_postgresql(postgres: Postgres, tmp_path: Path) -> None:
    paths = LakePaths(tmp_path / "data")
    results = sample_results()
    n = len(results)
    with PostgresCatalogWriter(paths, postgres.dsn()) as writer:
        writer.start_run("run-1", "load", {"catalog": "postgres"})
        first = writer.commit_batch("run-1", results, 0)
        writer.finish_run("run-1", "completed", dataclasses.asdict(first))
    assert first.articles_new == n

    # the catalog lives in PostgreSQL: DuckLake's metadata tables hold our tables and snapshots
    tables = set(postgres.sql("SELECT table_name FROM ducklake_table").split())
    assert {"articles", "mentions", "runs", "rejects"} <= tables
    assert int(postgres.sql("SELECT count(*) FROM ducklake_snapshot")) >= 3
    # the data is in Parquet files on disk, hive-partitioned like the local lake
    parquet = list(paths.table_files("articles").rglob("*.parquet"))
    assert parquet and all("source_id=" in str(p) and "pub_year=" in str(p) for p in parquet)

    # a second writer (another process or machine) sees the stored articles: same inputs -> duplicates
    with PostgresCatalogWriter(paths, postgres.dsn()) as writer:
        again = writer.commit_batch("run-2", sample_results(), 0)
    assert (again.articles_new, again.duplicates) == (0, n)

    # an independent read-only client attaches the same catalog
    con = connect_memory()
    load_extension(con, "ducklake")
    load_extension(con, "postgres_scanner")
    con.execute(
        f"ATTACH {quote_literal('ducklake:postgres:' + postgres.dsn())} AS reader "
        f"(READ_ONLY, DATA_PATH {quote_literal(str(paths.files) + os.sep)})"
    )
    row = con.execute(f"SELECT count(*), count(DISTINCT content_hash) FROM reader.{quote_ident('articles')}").fetchone()
    assert row == (n, n)
    status = con.execute("SELECT status, articles_new FROM reader.runs WHERE run_id = 'run-1'").fetchone()
    assert status == ("completed", n)
    con.close()
