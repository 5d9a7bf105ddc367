"""`news-etl`: the one command-line entry point.

    news-etl run [--config F] [--source ID]     the nightly job (default config loads samples/)
    news-etl load PATH...                       load local files or folders
    news-etl fetch --sources F [--source ID]    collect from feeds and sitemaps
    news-etl sql "QUERY" [--format table|csv|json]
    --data-dir DIR (or NEWS_ETL_DATA_DIR; default ./data) before or after the command

Read-only commands never import Prefect, so they answer fast.
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from warehouse.paths import ENV_DATA_DIR, LakePaths, resolve_data_dir

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_BUSY = 3


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.code = code


def new_run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def _common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    parser.add_argument(
        "--data-dir",
        default=argparse.SUPPRESS if not top else None,
        help=f"data directory (env {ENV_DATA_DIR}; default ./data)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="news-etl", description="News ingestion ETL: files and feeds in, a DuckLake of Parquet out.")
    _common(parser, top=True)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        _common(p, top=False)
        return p

    p = add("run", "the nightly job per config (fetch sources, load inputs); on a fresh checkout it loads samples/")
    p.add_argument("--config", help="config file (env NEWS_ETL_CONFIG; default config/news-etl.yaml)")
    p.add_argument("--source", help="limit fetching to one source id")
    p.add_argument("--no-fetch", action="store_true", help="skip fetching even if the config lists sources")
    p.add_argument("--wait", action="store_true", help="wait for another running writer instead of exiting")

    p = add("load", "load local files or folders (.txt .html .htm .jsonl .warc .warc.gz)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--source-id", help="source id for inputs that do not name one (default: local)")
    p.add_argument("--batch-size", type=int, default=400, help="documents per atomic commit (default 400)")
    p.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), help="extraction processes")
    p.add_argument("--wait", action="store_true", help="wait for another running writer instead of exiting")

    p = add("fetch", "collect new articles from the feeds and sitemaps of a sources file")
    p.add_argument("--sources", required=True, help="sources file (YAML)")
    p.add_argument("--source", help="limit to one source id")
    p.add_argument("--wait", action="store_true", help="wait for another running writer instead of exiting")

    p = add("sql", "run a read-only SQL query over the warehouse")
    p.add_argument("query")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    return parser


def _paths(args: argparse.Namespace) -> LakePaths:
    data_dir = resolve_data_dir(getattr(args, "data_dir", None))
    if data_dir.exists() and not data_dir.is_dir():
        raise CliError(f"the data directory {data_dir} is not a directory")
    return LakePaths(data_dir)


def _check_writable(paths: LakePaths) -> None:
    try:
        paths.lake_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CliError(f"cannot create the data directory {paths.data_dir}: {err.strerror}") from err
    if not os.access(paths.lake_dir, os.W_OK):
        raise CliError(f"the data directory {paths.data_dir} is not writable")


def cmd_sql(args: argparse.Namespace) -> int:
    import duckdb

    from flows.output import render
    from warehouse.reader import run_query

    try:
        result = run_query(_paths(args), args.query)
    except duckdb.Error as err:
        raise CliError(f"query failed: {str(err).splitlines()[0]}") from err
    print(render(args.format, result.columns, result.rows))
    return EXIT_OK


def print_summary(summary: dict[str, Any], paths: LakePaths, *, first_query_hint: bool = False) -> None:
    counts = summary.get("counts", {})
    rows = [
        ("inputs", counts.get("inputs", 0)),
        ("articles new", counts.get("articles_new", 0)),
        ("articles updated", counts.get("articles_updated", 0)),
        ("duplicates", counts.get("duplicates", 0)),
        ("rejects", counts.get("rejects", 0)),
        ("removed lines", counts.get("removed_lines", 0)),
        ("mentions", counts.get("mentions", 0)),
        ("figures", counts.get("figures", 0)),
        ("time", f"{summary.get('seconds', 0.0):.1f}s"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"\nrun {summary.get('run_id')} {summary.get('status')}")
    for key, value in rows:
        print(f"  {key.ljust(width)}  {value}")
    print(f"data: {paths.data_dir}")
    if first_query_hint:
        print('try:  .venv/bin/news-etl sql "select source_id, title, published_at from articles limit 5"')


def _run_load(paths: LakePaths, inputs: list[str], settings: dict[str, Any], *, wait: bool) -> dict[str, Any]:
    from flows import prefect_env

    prefect_env.configure(paths.prefect_home)
    from flows.inputs import InputError, discover
    from warehouse.lake import WriterBusy, writer_lock

    try:
        discover(inputs)  # fail fast on a missing PATH, before Prefect starts
    except InputError as err:
        raise CliError(str(err)) from err
    _check_writable(paths)
    from flows.load_flow import load_flow

    run_id = new_run_id()
    try:
        with writer_lock(paths, wait=wait):
            summary = load_flow(paths=inputs, data_dir=str(paths.data_dir), run_id=run_id, settings=settings)
    except WriterBusy as err:
        raise CliError(str(err), EXIT_BUSY) from err
    finally:
        prefect_env.silence_shutdown_noise()
    return dict(summary)


def cmd_load(args: argparse.Namespace) -> int:
    paths = _paths(args)
    settings = {"batch_size": args.batch_size, "workers": args.workers, "source_id": args.source_id}
    summary = _run_load(paths, [str(Path(p)) for p in args.paths], settings, wait=args.wait)
    print_summary(summary, paths)
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from flows.config import ConfigError, load_config

    try:
        config = load_config(args.config)
    except ConfigError as err:
        raise CliError(str(err)) from err
    paths = _paths(args)
    if config.sources and not args.no_fetch:
        _run_fetch(paths, config.sources, args.source, config.fetch, wait=args.wait)
    if not config.inputs:
        print("nothing to load: the config lists no inputs")
        return EXIT_OK
    summary = _run_load(paths, config.inputs, config.load, wait=args.wait)
    print_summary(summary, paths, first_query_hint=True)
    return EXIT_OK


def _run_fetch(paths: LakePaths, sources: str, source: str | None, settings: dict[str, Any], *, wait: bool) -> None:
    raise CliError("fetching from live sources is not built yet (see the collection issue)")


def cmd_fetch(args: argparse.Namespace) -> int:
    _run_fetch(_paths(args), args.sources, args.source, {}, wait=args.wait)
    return EXIT_OK


COMMANDS = {"run": cmd_run, "load": cmd_load, "fetch": cmd_fetch, "sql": cmd_sql}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import duckdb

    from warehouse.lake import WarehouseError

    try:
        return COMMANDS[args.command](args)
    except CliError as err:
        print(f"news-etl: error: {err}", file=sys.stderr)
        return err.code
    except WarehouseError as err:
        print(f"news-etl: error: {err}", file=sys.stderr)
        return EXIT_ERROR
    except (OSError, duckdb.IOException) as err:  # a full disk or a read-only file system mid-run
        print(f"news-etl: error: cannot write the warehouse: {str(err).splitlines()[0]}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("news-etl: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
