"""`news-etl`: the one command-line entry point.

    news-etl run [--config F] [--source ID]     the nightly job (default config loads samples/)
    news-etl load PATH...                       load local files or folders
    news-etl fetch --sources F [--source ID]    collect from feeds and sitemaps
    news-etl extract FILE [--url URL]           dry run: what the pipeline makes of one file
    news-etl sql "QUERY" [--format table|csv|json]
    --data-dir DIR (or NEWS_ETL_DATA_DIR; default ./data) before or after the command
    NEWS_ETL_CATALOG=postgres:<dsn>             the lake's catalog in PostgreSQL (default: a local file)
    NEWS_ETL_DATA_PATH=s3://bucket/prefix/      its data files and search index in object storage

Read-only commands never import Prefect, so they answer fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from core.datafile import DataFileError
from core.settings import LoadSettings
from render.summary import fetch_summary, load_summary, maintenance_summary
from warehouse.catalog import CatalogError, catalog_from_env
from warehouse.paths import ENV_DATA_DIR, LakePaths, resolve_data_dir

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_BUSY = 3


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.code = code


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
    p.add_argument("--full", action="store_true", help="re-read every input, even files unchanged since they were loaded")
    p.add_argument("--wait", action="store_true", help="wait for another running writer instead of exiting")

    p = add("load", "load local files or folders (.txt .html .htm .jsonl .warc .warc.gz)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--source-id", help="source id for inputs that do not name one (default: local)")
    p.add_argument("--batch-size", type=int, help=f"documents per atomic commit (default {LoadSettings().batch_size})")
    p.add_argument("--full", action="store_true", default=None,
                   help="re-read every input, even files unchanged since they were loaded")
    p.add_argument("--workers", type=int, help=f"extraction processes (default {LoadSettings().workers})")
    p.add_argument("--html-fallback", action="store_true", default=None,
                   help="HTML: also run trafilatura's readability/jusText comparison (about 1.5x slower; config load.html_fallback)")
    p.add_argument("--runner", choices=("process", "dask"),
                   help="where extraction runs: a local process pool (default) or Dask (NEWS_ETL_DASK_ADDRESS or 2 local workers)")
    p.add_argument("--wait", action="store_true", help="wait for another running writer instead of exiting")

    p = add("fetch", "collect new articles from the feeds and sitemaps of a sources file")
    p.add_argument("--sources", required=True, help="sources file (YAML)")
    p.add_argument("--source", help="limit to one source id")
    p.add_argument("--wait", action="store_true", help="wait for another running writer instead of exiting")

    p = add("extract", "dry run on one file: the cleaned text, removed lines with their rules, resolved fields "
                       "with where each came from, and the facts; writes nothing, never starts Prefect")
    p.add_argument("file", metavar="FILE", help=".txt .html .htm .jsonl(.gz) .warc(.gz)")
    p.add_argument("--url", help="only the document with this URL (a WARC record's target URI, a jsonl line's url)")
    p.add_argument("--source-id", help="source id for a document that names none (as `news-etl load --source-id`)")
    p.add_argument("--html-fallback", action="store_true", help="HTML: trafilatura's readability/jusText comparison too")
    p.add_argument("--format", choices=("text", "json"), default="text")

    p = add("sql", "run a read-only SQL query over the warehouse")
    p.add_argument("query")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")

    p = add("search", "full-text search over article titles and bodies (Arabic stemming; read-only)")
    p.add_argument("query")
    p.add_argument("--limit", type=int, default=20, help="best N matches (default 20)")
    p.add_argument("--source", action="append", default=[], metavar="ID", help="only this source_id (repeatable)")
    p.add_argument("--since", metavar="DATE", help="published on or after this day (YYYY-MM-DD, UTC)")
    p.add_argument("--until", metavar="DATE", help="published on or before this day (YYYY-MM-DD, UTC)")
    p.add_argument("--all", action="store_true", dest="all_words", help="every word of the query must match")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")

    p = add("maintain", "apply migrations, compact small files, expire old snapshots, delete unreferenced files")
    p.add_argument("--expire-days", type=float, default=30, help="keep snapshots (time travel) this many days (default 30)")
    p.add_argument("--grace-hours", type=float, default=24, help="delete released files only after this many hours (default 24)")
    p.add_argument("--wait", action="store_true", help="wait for another running writer instead of exiting")

    p = add("report", "write a self-contained HTML report (charts) from the warehouse; never starts Prefect")
    p.add_argument("--out", help="output file (default DATA_DIR/reports/report.html)")
    p.add_argument("--days", type=int, help="limit the per-day chart to the last N days with articles")
    p.add_argument("--top", type=int, default=15, help="how many actors and places to chart (default 15)")
    return parser


def _paths(args: argparse.Namespace) -> LakePaths:
    data_dir = resolve_data_dir(getattr(args, "data_dir", None))
    if data_dir.exists() and not data_dir.is_dir():
        raise CliError(f"the data directory {data_dir} is not a directory")
    try:
        catalog = catalog_from_env()
    except CatalogError as err:
        raise CliError(str(err), EXIT_USAGE) from err
    return LakePaths(data_dir, catalog)


def _check_writable(paths: LakePaths) -> None:
    try:
        paths.lake_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CliError(f"cannot create the data directory {paths.data_dir}: {err.strerror}") from err
    if not os.access(paths.lake_dir, os.W_OK):
        raise CliError(f"the data directory {paths.data_dir} is not writable")


def cmd_extract(args: argparse.Namespace) -> int:
    """What the pipeline makes of one file (every document in it, or the one with --url)."""
    from collect.extract import nothing_read, transform_item  # lazy: read-only commands stay fast
    from collect.inputs import InputUnit, Rejected, kind_of, plan_units, read_unit  # lazy: read-only commands stay fast
    from render import explain  # lazy: read-only commands stay fast
    from transforms.pipeline import TransformOptions  # lazy: read-only commands stay fast

    path = Path(args.file)
    if not path.exists():
        raise CliError(f"no such file: {args.file}")
    if not path.is_file():
        raise CliError(f"not a file: {args.file} (extract reads one file; `news-etl load` takes folders)")
    options = TransformOptions(source_id=args.source_id, html_fallback=args.html_fallback)
    results = []
    documents = 0
    for unit in plan_units([path]):
        for item in read_unit(unit):
            documents += 1
            if args.url is not None and (isinstance(item, Rejected) or item.url != args.url):
                continue
            results.append(transform_item(item, options))
    if args.url is not None and not results:
        raise CliError(f"no document with URL {args.url} in {args.file} ({documents} document(s) read)")
    if not results:
        results.append(nothing_read(InputUnit(str(path), kind_of(path))))
    if args.format == "json":
        print(explain.to_json(results))
    else:
        print("\n\n".join(explain.to_text(r) for r in results))
    return EXIT_OK


def cmd_sql(args: argparse.Namespace) -> int:
    import duckdb

    from render.output import render
    from warehouse.reader import run_query

    try:
        result = run_query(_paths(args), args.query)
    except duckdb.Error as err:
        raise CliError(f"query failed: {str(err).splitlines()[0]}") from err
    print(render(args.format, result.columns, result.rows))
    return EXIT_OK


def _run_load(paths: LakePaths, inputs: list[str], settings: LoadSettings, *, wait: bool) -> dict[str, Any]:
    from flows import prefect_env  # lazy: only writes need Prefect

    prefect_env.configure(paths.prefect_home)
    from collect.inputs import InputError, discover  # lazy: only writes need these

    try:
        discover(inputs)  # fail fast on a missing PATH, before Prefect starts
    except InputError as err:
        raise CliError(str(err)) from err
    _check_writable(paths)
    from flows.jobs import run_load  # lazy: imports Prefect
    from warehouse.lock import WriterBusy  # lazy: only writes need it
    from warehouse.writer import DataTestsFailed  # lazy: only writes need it

    try:
        return run_load(paths, inputs, settings, wait=wait)
    except WriterBusy as err:
        raise CliError(str(err), EXIT_BUSY) from err
    except DataTestsFailed as err:  # the data is committed: show what the run did, then why it failed
        if err.summary:
            print(load_summary(err.summary, paths.data_dir))
        raise CliError(str(err)) from err
    finally:
        prefect_env.silence_shutdown_noise()


def cmd_load(args: argparse.Namespace) -> int:
    paths = _paths(args)
    options = {k: getattr(args, k) for k in ("batch_size", "workers", "source_id", "runner", "full", "html_fallback")}
    try:
        settings = LoadSettings.parse(options, "command line")
    except DataFileError as err:
        raise CliError(str(err), EXIT_USAGE) from err
    summary = _run_load(paths, [str(Path(p)) for p in args.paths], settings, wait=args.wait)
    print(load_summary(summary, paths.data_dir))
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from core.settings import load_config

    try:
        config = load_config(args.config)
    except DataFileError as err:
        raise CliError(str(err)) from err
    paths = _paths(args)
    if config.sources and not args.no_fetch:
        _run_fetch(paths, config.sources, args.source, config.fetch_load, wait=args.wait)
    if not config.inputs:
        print("nothing to load: the config lists no inputs")
        return EXIT_OK
    load = config.load.but(full=True) if args.full else config.load
    summary = _run_load(paths, list(config.inputs), load, wait=args.wait)
    print(load_summary(summary, paths.data_dir, first_query_hint=True))
    return EXIT_OK


def _run_fetch(paths: LakePaths, sources: str, source: str | None, settings: LoadSettings, *, wait: bool) -> None:
    """Fetch new pages into DATA_DIR/raw/<run_id>.warc.gz, then load that WARC with `settings`
    (one writer lock for both); prints both summaries."""
    from flows import prefect_env  # lazy: only fetch needs Prefect

    prefect_env.configure(paths.prefect_home)
    from collect.sources import SourcesError, load_sources  # lazy: only fetch needs it

    try:
        load_sources(sources, source)  # fail fast on a bad sources file, before Prefect starts
    except SourcesError as err:
        raise CliError(str(err)) from err
    _check_writable(paths)
    from flows.jobs import run_fetch  # lazy: imports Prefect
    from warehouse.lock import WriterBusy  # lazy: only writes need it

    try:
        outcome = run_fetch(paths, sources, source, settings, wait=wait)
    except WriterBusy as err:
        raise CliError(str(err), EXIT_BUSY) from err
    finally:
        prefect_env.silence_shutdown_noise()
    print(fetch_summary(outcome.fetched))
    if outcome.loaded is not None:
        print(load_summary(outcome.loaded, paths.data_dir))


def cmd_fetch(args: argparse.Namespace) -> int:
    _run_fetch(_paths(args), args.sources, args.source, LoadSettings(), wait=args.wait)
    return EXIT_OK


def _day(value: str | None, option: str, *, next_day: bool = False) -> datetime | None:
    """A YYYY-MM-DD option as the UTC midnight that starts it (or ends it, with `next_day`)."""
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise CliError(f"{option} must be a day like 2026-03-01, not {value!r}", EXIT_USAGE) from None
    return datetime.combine(day + timedelta(days=1 if next_day else 0), time.min, tzinfo=UTC)


def cmd_search(args: argparse.Namespace) -> int:
    import duckdb  # lazy: read-only commands stay fast, Prefect loads only for writes

    from render.output import render  # lazy: read-only commands stay fast, Prefect loads only for writes
    from warehouse.search import SearchFilter, SearchUnavailable, search  # lazy: read-only commands stay fast

    if args.limit < 1:
        raise CliError("--limit must be at least 1", EXIT_USAGE)
    where = SearchFilter(
        sources=tuple(args.source), since=_day(args.since, "--since"),
        until=_day(args.until, "--until", next_day=True), all_words=args.all_words,
    )
    try:
        hits = search(_paths(args), args.query, args.limit, where)
    except SearchUnavailable as err:
        raise CliError(str(err)) from err
    except duckdb.Error as err:
        raise CliError(f"search failed: {str(err).splitlines()[0]}") from err
    columns = ["article_id", "score", "title", "source_id", "url", "published_at"]
    rows = [(h.article_id, round(h.score, 4), h.title, h.source_id, h.url, h.published_at) for h in hits]
    print(render(args.format, columns, rows))
    return EXIT_OK


def cmd_maintain(args: argparse.Namespace) -> int:
    from flows import prefect_env  # lazy: read-only commands stay fast, Prefect loads only for writes

    paths = _paths(args)
    if paths.catalog_setting.is_local and not paths.catalog.exists():
        raise CliError(f"no warehouse at {paths.data_dir}: nothing to maintain")
    prefect_env.configure(paths.prefect_home)
    from flows.maintenance_flow import maintenance_flow  # lazy: read-only commands stay fast, Prefect loads only for writes
    from warehouse.lock import WriterBusy, writer_lock  # lazy: read-only commands stay fast
    from warehouse.runs import new_run_id  # lazy: read-only commands stay fast
    from warehouse.writer import DataTestsFailed  # lazy: read-only commands stay fast

    run_id = new_run_id()
    try:
        with writer_lock(paths, wait=args.wait):
            result = maintenance_flow(
                data_dir=str(paths.data_dir), run_id=run_id, expire_days=args.expire_days, grace_hours=args.grace_hours
            )
    except WriterBusy as err:
        raise CliError(str(err), EXIT_BUSY) from err
    except DataTestsFailed as err:
        raise CliError(str(err)) from err
    finally:
        prefect_env.silence_shutdown_noise()
    print(maintenance_summary(run_id, result))
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    import duckdb  # lazy: read-only commands stay fast

    from render.report import write_report  # lazy: read-only commands stay fast

    try:
        out = write_report(_paths(args), Path(args.out) if args.out else None, days=args.days, top=args.top)
    except duckdb.Error as err:
        raise CliError(f"report failed: {str(err).splitlines()[0]}") from err
    except OSError as err:
        raise CliError(f"cannot write the report: {err}") from err
    print(f"report: {out}")
    return EXIT_OK


COMMANDS = {"run": cmd_run, "load": cmd_load, "fetch": cmd_fetch, "extract": cmd_extract, "sql": cmd_sql}
COMMANDS.update({"search": cmd_search, "maintain": cmd_maintain})
COMMANDS["report"] = cmd_report
LONG_COMMANDS = {"run", "load", "fetch"}  # drawn with progress bars on a terminal (render/progress.py)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import duckdb

    from render import progress  # lazy, like the imports above
    from warehouse.attach import WarehouseError
    from warehouse.objectstore import ObjectStoreError

    try:
        with progress.session() if args.command in LONG_COMMANDS else nullcontext():
            return COMMANDS[args.command](args)
    except CliError as err:
        print(f"news-etl: error: {err}", file=sys.stderr)
        return err.code
    except (WarehouseError, ObjectStoreError) as err:
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
