"""The lake's DuckLake catalog in a real PostgreSQL server (started here from Debian's postgresql
package), configured the way a user does it: NEWS_ETL_CATALOG=postgres:<dsn> for the real CLI.
Loads, idempotency, `news-etl sql`/`search`/`report`/`maintain` and the reader's lock-down all
work through the shared catalog, with the data files as Parquet on disk.

The postgres extension is loaded offline from the PyPI wheel duckdb-extension-postgres_scanner
(1.5.5, matching duckdb). The PostgreSQL tests skip, with the reason, where PostgreSQL or that
wheel is missing; the tests of bad settings need neither.
"""

from __future__ import annotations

import dataclasses
import glob
import itertools
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.conftest import SAMPLES, Cli
from tests.prefect_server import free_port
from warehouse.attach import WarehouseError
from warehouse.catalog import ENV_CATALOG, Catalog, CatalogError, parse_catalog, redact
from warehouse.lock import WriterBusy, writer_lock
from warehouse.paths import LakePaths
from warehouse.reader import check_read_only, connect_readonly
from warehouse.writer_lease import LEASE_TABLE, LeaseBusy, WriterLease


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


_DATABASES = itertools.count(1)


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


@pytest.fixture
def lake_db(postgres: Postgres) -> Postgres:
    """A fresh PostgreSQL database for one test's catalog (NEWS_ETL_CATALOG=postgres:<its dsn>)."""
    name = f"lake{next(_DATABASES)}"
    postgres.sql(f"CREATE DATABASE {name}")
    return dataclasses.replace(postgres, dbname=name)


def _counts(stdout: str) -> dict[str, int]:
    """The run summary the CLI prints ("  articles new      9")."""
    return {m[1]: int(m[2]) for m in re.finditer(r"^  ([a-z ]+?)\s{2,}(\d+)$", stdout, re.MULTILINE)}


@pytest.mark.slow
def test_cli_with_catalog_in_postgresql(lake_db: Postgres, cli: Cli, tmp_path: Path) -> None:
    setting = "postgres:" + lake_db.dsn()
    pg = Cli(data_dir=cli.data_dir, env={**cli.env, ENV_CATALOG: setting})
    first = pg("load", str(SAMPLES))
    assert first.code == 0, first.stderr
    n = _counts(first.stdout)["articles new"]
    assert n > 0

    # the catalog lives in PostgreSQL: DuckLake's metadata tables hold our tables and snapshots
    assert {"articles", "mentions", "runs", "rejects"} <= set(lake_db.sql("SELECT table_name FROM ducklake_table").split())
    assert int(lake_db.sql("SELECT count(*) FROM ducklake_snapshot")) >= 3
    # no DuckDB catalog file and no published copy; the data is in Parquet files on disk
    lake = LakePaths(cli.data_dir)
    assert not lake.catalog.exists() and not lake.published_catalog.exists()
    parquet = list(lake.table_files("articles").rglob("*.parquet"))
    assert parquet and all("source_id=" in str(p) and "pub_year=" in str(p) for p in parquet)

    # `news-etl sql` reads the PostgreSQL catalog directly
    rows = pg.sql_json("select count(*) as n, count(distinct content_hash) as h from articles")
    assert rows == [{"n": n, "h": n}]
    runs = pg.sql_json("select status, articles_new from runs")
    assert runs == [{"status": "completed", "articles_new": n}]
    # ... and the local-catalog default sees no warehouse in the same data directory
    assert cli("sql", "select 1").code == 1

    # the same inputs again: only duplicates (the second writer finds the stored articles)
    second = pg("load", str(SAMPLES))
    assert second.code == 0, second.stderr
    again = _counts(second.stdout)
    assert (again["articles new"], again["articles updated"], again["duplicates"]) == (0, 0, n)
    assert pg.sql_json("select count(*) as n from articles") == [{"n": n}]

    # search (lake/search.duckdb, rebuilt by the writer) and the report work too
    hits = pg("search", "التحالف", "--format", "json")
    assert hits.code == 0 and '"article_id"' in hits.stdout, hits.stderr
    report = pg("report", "--out", str(tmp_path / "report.html"))
    assert report.code == 0 and (tmp_path / "report.html").stat().st_size > 0, report.stderr

    # maintenance: compaction, expiry of every old snapshot and deletion of the released files
    maintained = pg("maintain", "--expire-days", "0", "--grace-hours", "0")
    assert maintained.code == 0, maintained.stderr
    assert "snapshots expired" in maintained.stdout
    assert pg.sql_json("select count(*) as n from articles") == [{"n": n}]
    assert all(p.exists() for p in lake.table_files("articles").rglob("*.parquet"))

    # the reader stays read-only and locked down
    leak = tmp_path / "leak.csv"
    inside = lake.files / "leak.csv"
    for query in (
        f"copy (select * from articles) to '{leak}'",
        f"copy (select * from articles) to '{inside}'",
        f"attach '{tmp_path / 'other.db'}' as other",
        "delete from articles",
        "set enable_external_access = true",
        f"select * from postgres_scan('{lake_db.dsn()}', 'public', 'ducklake_snapshot')",
        "select * from postgres_query('__ducklake_metadata_lake', 'select 1')",
        "with q as (select * from query('select 1')) select * from q",
    ):
        res = pg("sql", query)
        assert res.code == 1, query
        assert res.stderr.startswith("news-etl: error:") and "Traceback" not in res.stderr, res.stderr
    assert not leak.exists() and not inside.exists() and not (tmp_path / "other.db").exists()


@pytest.mark.slow
def test_reader_lockdown_with_postgresql_catalog(lake_db: Postgres, cli: Cli, tmp_path: Path) -> None:
    """Below the CLI's statement check: the engine itself refuses file writes outside the lake and
    attaching other databases, while the lake's tables still read through the postgres catalog."""
    setting = "postgres:" + lake_db.dsn()
    pg = Cli(data_dir=cli.data_dir, env={**cli.env, ENV_CATALOG: setting})
    assert pg("load", str(SAMPLES / "001_cb6402e5e5e5f342.txt")).code == 0
    paths = LakePaths(cli.data_dir, parse_catalog(setting))
    con = connect_readonly(paths)
    try:
        assert con.execute("select count(*) from articles").fetchone() == (1,)
        assert con.execute("select count(*) from ducklake_snapshots('lake')").fetchone()[0] >= 3  # type: ignore[index]
        with pytest.raises(duckdb.PermissionException):
            con.execute(f"copy (select 1) to '{tmp_path / 'leak.csv'}'")
        with pytest.raises(duckdb.PermissionException):
            con.execute(f"attach '{tmp_path / 'other.db'}' as other")
        with pytest.raises(duckdb.PermissionException):
            con.execute(f"attach '{lake_db.dsn()}' as other (type postgres)")
        with pytest.raises(duckdb.Error, match="read-only"):
            con.execute("insert into runs (run_id, flow, started_at, status) values ('x', 'x', now(), 'x')")
        with pytest.raises(duckdb.Error):
            con.execute("set lock_configuration = false")
        with pytest.raises(WarehouseError, match="postgres_scan"):
            check_read_only(con, "select * from postgres_scan('host=x', 'public', 't')", remote_catalog=True)
    finally:
        con.close()
    assert not (tmp_path / "leak.csv").exists() and not (tmp_path / "other.db").exists()


@pytest.mark.slow
def test_a_second_machine_cannot_write_while_one_holds_the_lease(lake_db: Postgres, cli: Cli, tmp_path: Path) -> None:
    """Two machines share the catalog (here: two data directories, so the local flock does not
    see each other): the lease in PostgreSQL keeps the second one out, on the CLI too."""
    setting = "postgres:" + lake_db.dsn()
    a = LakePaths(tmp_path / "machine-a", parse_catalog(setting))
    b = LakePaths(tmp_path / "machine-b", parse_catalog(setting))
    with writer_lock(a):
        assert lake_db.sql(f"SELECT holder FROM {LEASE_TABLE}").endswith(")")  # "host pid N (token)"
        with pytest.raises(WriterBusy, match=r"another machine is writing this lake: .* pid "), writer_lock(b):
            pass
        res = Cli(data_dir=b.data_dir, env={**cli.env, ENV_CATALOG: setting})("load", str(SAMPLES / "001_cb6402e5e5e5f342.txt"))
        assert res.code == 3, res.stderr  # EXIT_BUSY
        assert "another machine is writing this lake" in res.stderr and "--wait" in res.stderr, res.stderr
        assert "Traceback" not in res.stderr and res.stderr.strip().count("\n") == 0, res.stderr
    assert lake_db.sql(f"SELECT count(*) FROM {LEASE_TABLE}") == "0"  # released at the end
    with writer_lock(b):  # now the other machine writes
        pass


@pytest.mark.slow
def test_a_stopped_machines_lease_expires_a_running_ones_is_renewed(lake_db: Postgres) -> None:
    if not HAVE_WHEEL:
        pytest.skip("duckdb-extension-postgres_scanner is not installed (pip install -e '.[postgres]')")
    stopped = WriterLease(lake_db.dsn(), seconds=1)
    stopped.acquire()
    stopped._stop.set()  # the machine stops renewing, as if it was killed
    assert stopped._thread is not None
    stopped._thread.join()
    running = WriterLease(lake_db.dsn(), seconds=1)
    with pytest.raises(LeaseBusy, match="expires 1 s after its last renewal"):
        running.acquire()
    time.sleep(1.5)
    running.acquire()  # expired: taken over
    time.sleep(1.5)  # renewed every 0.2 s, so still held
    third = WriterLease(lake_db.dsn(), seconds=1)
    with pytest.raises(LeaseBusy):
        third.acquire()
    stopped.release()  # deletes only its own row: the running one keeps the lease
    with pytest.raises(LeaseBusy):
        third.acquire()
    assert not running.lost
    running.release()
    third.acquire()
    third.release()


@pytest.mark.slow
def test_unreachable_postgresql_catalog_is_one_line_without_password(cli_offline: Cli) -> None:
    if not HAVE_WHEEL:
        pytest.skip("duckdb-extension-postgres_scanner is not installed (pip install -e '.[postgres]')")
    setting = f"postgres:dbname=lake host=127.0.0.1 port={free_port()} user=news_etl password=s3cr3t connect_timeout=5"
    for args in (("sql", "select 1"), ("load", str(SAMPLES)), ("maintain",)):
        res = cli_offline(*args, extra_env={ENV_CATALOG: setting})
        assert res.code == 1, (args, res.stderr)
        assert "cannot open the PostgreSQL catalog" in res.stderr and "password=***" in res.stderr, res.stderr
        assert "s3cr3t" not in res.stderr + res.stdout and "Traceback" not in res.stderr
        assert res.stderr.strip().count("\n") == 0, res.stderr


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("mysql://etl:s3cr3t@db/lake", "must be empty (the local DuckDB catalog) or 'postgres:<connection string>', not 'mysql'"),
        ("dbname=lake host=db", "not 'dbname=lake host=db'"),
        ("postgres:", "needs a connection string"),
    ],
)
def test_bad_catalog_setting_is_a_usage_error(cli_offline: Cli, value: str, expected: str) -> None:
    res = cli_offline("sql", "select 1", extra_env={ENV_CATALOG: value})
    assert res.code == 2, res.stderr
    assert res.stderr.startswith("news-etl: error: NEWS_ETL_CATALOG") and expected in res.stderr, res.stderr
    assert "s3cr3t" not in res.stderr and "Traceback" not in res.stderr


def test_catalog_in_config_file_points_to_the_environment(cli_offline: Cli, tmp_path: Path) -> None:
    config = tmp_path / "news-etl.yaml"
    config.write_text("inputs: []\ncatalog: postgres:dbname=lake\n", encoding="utf-8")
    res = cli_offline("run", "--config", str(config))
    assert res.code == 1 and "set the environment variable NEWS_ETL_CATALOG" in res.stderr, res.stderr


def test_catalog_setting_parsing() -> None:
    assert parse_catalog(None) == parse_catalog("  ") == Catalog()
    assert parse_catalog(" postgres:dbname=lake host=db ") == Catalog("postgres", "dbname=lake host=db")
    assert parse_catalog("postgres:postgresql://etl@db/lake").dsn == "postgresql://etl@db/lake"
    with pytest.raises(CatalogError):
        parse_catalog("sqlite:/tmp/lake.sqlite")
    assert redact("host=db password=s3cr3t user=etl") == "host=db password=*** user=etl"
    assert redact("password = 'a b\\' c' user=etl") == "password = *** user=etl"
    assert redact("postgresql://etl:s3cr3t@db:5432/lake") == "postgresql://etl:***@db:5432/lake"
    assert redact("postgresql://db/lake?user=etl&password=s3cr3t") == "postgresql://db/lake?user=etl&password=***"
    assert "s3cr3t" not in Catalog("postgres", "host=db password=s3cr3t").describe()
    assert LakePaths(Path("/d"), Catalog()).catalog_setting.is_local
