"""Real servers for the cluster test and bench/cluster_bench.py, each a separate process on
127.0.0.1: an S3-compatible object store (moto's standalone server), PostgreSQL (Debian's
postgresql package) and a Dask scheduler with its workers (the `dask` command line).

Each `start_*` returns a handle whose `stop()` ends what it started; `missing_*` says why a
server cannot be started here (None when it can), for a skip with the reason.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited: {log.read_text(errors='replace')[-2000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{proc.args!r} did not listen on {port} in {timeout}s: {log.read_text(errors='replace')[-2000:]}")


def _stop(proc: subprocess.Popen[bytes] | None, timeout: float = 10) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout)


# -- S3: moto's standalone server ---------------------------------------------------------------

ACCESS_KEY = "news-etl-test-key"


@dataclass
class S3Server:
    port: int
    secret: str
    proc: subprocess.Popen[bytes]
    log: Path
    proxies: list[DelayProxy] = field(default_factory=list)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self, endpoint: str | None = None) -> dict[str, str]:
        """The environment a news-etl process needs for this store (no config file holds it)."""
        return {
            "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": self.secret,
            "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpoint or self.endpoint,
        }

    def client(self) -> Any:
        import boto3  # the `s3` extra

        return boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=ACCESS_KEY,
                            aws_secret_access_key=self.secret, region_name="us-east-1")

    def create_bucket(self, name: str) -> None:
        self.client().create_bucket(Bucket=name)

    def objects(self, bucket: str, prefix: str = "") -> dict[str, int]:
        """key -> size of every object under `prefix`."""
        out: dict[str, int] = {}
        for page in self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            out.update({o["Key"]: int(o["Size"]) for o in page.get("Contents", [])})
        return out

    def delayed(self, delay: float) -> str:
        """An endpoint that reaches this server through a proxy adding `delay` seconds to every
        request (a stand-in for a network's round trip; loopback has none)."""
        proxy = DelayProxy(self.port, delay)
        proxy.start()
        self.proxies.append(proxy)
        return f"http://127.0.0.1:{proxy.port}"

    def stop(self) -> None:
        for proxy in self.proxies:
            proxy.stop()
        _stop(self.proc)


def missing_s3() -> str | None:
    if not (BIN / "moto_server").exists():
        return "moto's server is not installed (pip install 'moto[s3]' flask flask-cors; the dev extra has them)"
    try:
        import boto3  # noqa: F401  # only checks that it is installed
        import duckdb_extension_httpfs  # noqa: F401  # only checks that it is installed
    except ImportError as err:
        return f"the s3 extra is not installed (pip install -e '.[s3]'): {err}"
    return None


def start_s3(workdir: Path, timeout: float = 60) -> S3Server:
    port = free_port()
    log = workdir / "moto.log"
    proc = subprocess.Popen(
        [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=open(log, "wb"), stderr=subprocess.STDOUT,  # noqa: SIM115  # lives as long as the server
    )
    try:
        _wait_port(port, proc, log, timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:  # the port opens before Flask answers
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
    except BaseException:
        _stop(proc)
        raise
    return S3Server(port, "secret-" + os.urandom(12).hex(), proc, log)


class DelayProxy:
    """A TCP proxy on 127.0.0.1 that holds every burst of bytes from the client for `delay`
    seconds before passing it on (so each request/response exchange costs one `delay` more)."""

    def __init__(self, target_port: int, delay: float) -> None:
        self.target_port, self.delay = target_port, delay
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = int(self.sock.getsockname()[1])
        self.closed = threading.Event()

    def start(self) -> None:
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            threading.Thread(target=self._pipe, args=(client, upstream, self.delay), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, 0.0), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket, delay: float) -> None:
        try:
            while True:
                src.settimeout(None)
                data = src.recv(1 << 16)
                if not data:
                    return
                if delay:
                    time.sleep(delay)
                dst.sendall(data)
                src.settimeout(0.005)  # what follows at once belongs to the same burst: no delay
                while True:
                    try:
                        data = src.recv(1 << 16)
                    except TimeoutError:
                        break
                    if not data:
                        return
                    dst.sendall(data)
        except OSError:
            return
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        self.closed.set()
        self.sock.close()


# -- PostgreSQL -----------------------------------------------------------------------------------


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return versions[-1] if versions else None


@dataclass
class PostgresServer:
    port: int
    home: Path
    data: Path
    run_as: list[str]
    pg_ctl: str
    psql: str
    dbname: str = "postgres"

    def dsn(self, dbname: str | None = None) -> str:
        return f"dbname={dbname or self.dbname} host=127.0.0.1 port={self.port} user=postgres"

    def sql(self, query: str, dbname: str | None = None) -> str:
        res = subprocess.run(
            [*self.run_as, self.psql, "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
             "-d", dbname or self.dbname, "-tAc", query],
            capture_output=True, text=True, timeout=60, check=True,
        )
        return res.stdout.strip()

    def restart(self) -> None:
        opts = f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run([*self.run_as, self.pg_ctl, "-D", str(self.data), "-o", opts, "-l", str(self.home / "log"),
                        "-m", "fast", "-w", "-t", "60", "restart"], capture_output=True, check=True, timeout=120)

    def stop(self) -> None:
        subprocess.run([*self.run_as, self.pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "stop"],
                       capture_output=True, check=False, timeout=60)
        shutil.rmtree(self.home, ignore_errors=True)


def missing_postgres() -> str | None:
    if not (_pg_bin("initdb") and _pg_bin("pg_ctl") and _pg_bin("psql")):
        return "PostgreSQL is not installed (Debian: apt-get install postgresql; .ci/run does it)"
    try:
        import duckdb_extension_postgres_scanner  # noqa: F401  # only checks that the wheel is installed
    except ImportError:
        return "duckdb-extension-postgres_scanner is not installed (pip install -e '.[postgres]')"
    if os.geteuid() == 0 and (
        shutil.which("runuser") is None or subprocess.run(["id", "postgres"], capture_output=True, check=False).returncode != 0
    ):
        return "running as root without a 'postgres' user or runuser to start PostgreSQL"
    return None


def start_postgres() -> PostgresServer:
    initdb, pg_ctl, psql = _pg_bin("initdb"), _pg_bin("pg_ctl"), _pg_bin("psql")
    assert initdb and pg_ctl and psql, missing_postgres()
    run_as: list[str] = []
    home = Path(tempfile.mkdtemp(prefix="news-etl-pg-"))
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: use the package's postgres user
        run_as = [str(shutil.which("runuser")), "-u", "postgres", "--"]
        shutil.chown(home, "postgres")
    port = free_port()
    data = home / "db"
    subprocess.run([*run_as, initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"],
                   capture_output=True, check=True, timeout=120)
    opts = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run([*run_as, pg_ctl, "-D", str(data), "-o", opts, "-l", str(home / "log"), "-w", "-t", "60", "start"],
                   capture_output=True, check=True, timeout=120)
    return PostgresServer(port, home, data, run_as, pg_ctl, psql)


# -- Dask ---------------------------------------------------------------------------------------------


@dataclass
class DaskCluster:
    address: str
    scheduler: subprocess.Popen[bytes]
    workers: dict[str, subprocess.Popen[bytes]]
    workdir: Path
    env: dict[str, str]

    def start_worker(self, name: str) -> None:
        log = self.workdir / f"dask-{name}.log"
        self.workers[name] = subprocess.Popen(
            [str(BIN / "dask"), "worker", self.address, "--name", name, "--nthreads", "1", "--no-nanny",
             "--no-dashboard", "--host", "127.0.0.1", "--local-directory", str(self.workdir / name)],
            stdout=open(log, "wb"), stderr=subprocess.STDOUT, env=self.env,  # noqa: SIM115  # lives as long as the worker
        )

    def wait_workers(self, count: int, timeout: float = 90) -> None:
        from distributed import Client  # the `dask` extra

        with Client(self.address, timeout=timeout) as client:
            client.wait_for_workers(count, timeout=timeout)

    def kill(self, name: str) -> None:
        """SIGKILL one worker: no goodbye to the scheduler, its tasks are lost where they run."""
        proc = self.workers[name]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def stop(self) -> None:
        for proc in self.workers.values():
            _stop(proc)
        _stop(self.scheduler)


def missing_dask() -> str | None:
    if not (BIN / "dask").exists():
        return "the dask command line is not installed (pip install -e '.[dask]')"
    return None


def start_dask(workdir: Path, workers: int, env: dict[str, str], timeout: float = 90) -> DaskCluster:
    """A scheduler and `workers` single-threaded worker processes without nannies (a killed
    worker stays dead), each with `env` (PREFECT_API_URL: the workers report task states)."""
    port = free_port()
    log = workdir / "dask-scheduler.log"
    scheduler = subprocess.Popen(
        [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        stdout=open(log, "wb"), stderr=subprocess.STDOUT, env=env,  # noqa: SIM115  # lives as long as the scheduler
    )
    cluster = DaskCluster(f"tcp://127.0.0.1:{port}", scheduler, {}, workdir, env)
    try:
        _wait_port(port, scheduler, log, timeout)
        for n in range(workers):
            cluster.start_worker(f"worker-{n + 1}")
        cluster.wait_workers(workers, timeout)
    except BaseException:
        cluster.stop()
        raise
    return cluster


# -- inputs: generated news pages ---------------------------------------------------------------------

PAGE = """<!DOCTYPE html>
<html lang="ar" dir="rtl"><head><meta charset="utf-8">
<title>{title} | {site}</title>
<meta property="og:site_name" content="{site}">
<meta property="og:title" content="{title}">
<meta property="article:published_time" content="{published}">
<link rel="canonical" href="https://{domain}/archives/{number}">
</head><body>
<header><nav><a href="/">الرئيسية</a> | <a href="/news">أخبار</a> | <a href="/reports">تقارير</a></nav></header>
<main><article>
<h1>{title}</h1>
<p class="byline">{site} - {day}</p>
{paragraphs}
</article></main>
<aside><h3>الأكثر قراءة</h3><ul><li><a href="/archives/1">خبر سابق</a></li><li><a href="/archives/2">خبر آخر</a></li></ul></aside>
<footer>جميع الحقوق محفوظة لموقع {site} 2026</footer>
</body></html>
"""


@dataclass(frozen=True)
class Pages:
    folder: Path
    articles: int  # distinct pages (each a new article)
    duplicates: int  # byte-for-byte copies of some of them under other names
    rejects: int  # files that are no article (empty, binary)

    @property
    def inputs(self) -> int:
        return self.articles + self.duplicates + self.rejects


def write_pages(folder: Path, articles: int, *, duplicates: int = 0, rejects: int = 0, seed: int = 0, words: int = 220) -> Pages:
    """`articles` distinct generated Arabic news pages (title, date, canonical URL, navigation and
    footer around the article), plus exact copies and files that are rejects."""
    from tests.test_warehouse_helpers import arabic_body  # tests import helpers lazily

    folder.mkdir(parents=True, exist_ok=True)
    for n in range(articles):
        body = arabic_body(seed * 100_000 + n, words)
        lines = body.split("\n")
        title = " ".join(lines[0].split()[:8]).rstrip(".")
        day = f"2026-{1 + n % 12:02d}-{1 + n % 28:02d}"
        html = PAGE.format(
            title=f"{title} ({n})", site="موقع الاختبار", domain="cluster-test.example", number=seed * 100_000 + n,
            published=f"{day}T09:00:00+03:00", day=day,
            paragraphs="\n".join(f"<p>{line}</p>" for line in lines),
        )
        (folder / f"page-{n:05d}.html").write_text(html, encoding="utf-8")
    for n in range(duplicates):
        shutil.copyfile(folder / f"page-{n:05d}.html", folder / f"copy-{n:05d}.html")
    for n in range(rejects):
        (folder / f"reject-{n:05d}.html").write_bytes(b"" if n % 2 == 0 else bytes(range(256)) * 8)
    return Pages(folder, articles, duplicates, rejects)
