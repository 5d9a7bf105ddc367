"""`news-etl`: the one command-line entry point.

    news-etl run [--config F] [--source ID]     the nightly job (default config loads samples/)
    news-etl load PATH...                       load local files or folders
    news-etl fetch --sources F [--source ID]    collect from feeds and sitemaps
    news-etl extract FILE [--url URL]           dry run: what the pipeline makes of one file
    news-etl sql "QUERY" [--format table|csv|json]
    news-etl server start|stop|status           the data directory's local Prefect server
    news-etl ui                                 print the Prefect UI's URL (starts the server)
    --data-dir DIR (or NEWS_ETL_DATA_DIR; default ./data) before or after the command
    NEWS_ETL_CATALOG=postgres:<dsn>             the lake's catalog in PostgreSQL (default: a local file)
    NEWS_ETL_PREFECT=local|ephemeral            runs recorded by the data directory's local Prefect server
                                                (default, reused) or a temporary one per command; a set
                                                PREFECT_API_URL wins over both
    NEWS_ETL_DATA_PATH=s3://bucket/prefix/      its data files and search index in object storage

Read-only commands never import Prefect, so they answer fast.
"""

from __future__ import annotations

import argparse
import atexit
import os
import sys
import threading
from collections.abc import Sequence
from contextlib import nullcontext, suppress
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, NoReturn

from core.datafile import DataFileError, Invalid
from core.settings import (
    ENV_SQL_MEMORY,
    ENV_SQL_TIMEOUT,
    SQL_TABLE_ROWS,
    SQL_TIMEOUT,
    LoadSettings,
    QueryLimits,
    out_of_range,
    parse_size,
)
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


def _size(text: str) -> int:
    """argparse type: a size in bytes ('64MiB', '2GB', '1048576')."""
    try:
        return parse_size(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _check(option: str, setting: str, value: float | None) -> None:
    """A usage error (exit 2) when an option's value is outside its range (core.settings.RANGES)."""
    if value is None:
        return
    problem = out_of_range(setting, value)
    if problem:
        raise CliError(f"{option} {problem}", EXIT_USAGE)


def _budget_options(p: argparse.ArgumentParser) -> None:
    d = LoadSettings()
    p.add_argument("--max-document-bytes", type=_size, metavar="SIZE",
                   help=f"largest document after decompression, e.g. 64MiB (default {d.max_document_bytes} bytes; "
                        "config load.max_document_bytes): larger ones are rejected as too_large")
    p.add_argument("--max-document-seconds", type=float, metavar="S",
                   help=f"seconds to read and transform one document (default {d.max_document_seconds:g}): "
                        "a worker that overruns is replaced and the document rejected as too_slow")
    p.add_argument("--max-lines-per-file", type=int, metavar="N",
                   help=f"lines of a jsonl file, records of a WARC file (default {d.max_lines_per_file}): "
                        "the rest is one too_many_lines reject")
    p.add_argument("--max-json-depth", type=int, metavar="N",
                   help=f"nesting of one jsonl line (default {d.max_json_depth}): deeper lines are rejected as too_deep")
    p.add_argument("--follow-symlinks", action="store_true", default=None,
                   help="read symbolic links that lead outside the input folder (default: rejected as outside_input)")


BUDGET_OPTIONS = ("max_document_bytes", "max_document_seconds", "max_lines_per_file", "max_json_depth", "follow_symlinks")


def _query_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--timeout", type=float, metavar="S",
                   help=f"stop the query after S seconds (env {ENV_SQL_TIMEOUT}; default {SQL_TIMEOUT:g})")
    p.add_argument("--memory-limit", type=_size, metavar="SIZE",
                   help=f"memory the query may use, e.g. 2GiB (env {ENV_SQL_MEMORY}; default 2 GiB or a quarter of the RAM)")


def _query_limits(args: argparse.Namespace) -> QueryLimits:
    try:
        return QueryLimits.resolve(args.timeout, args.memory_limit)
    except Invalid as err:
        option = {"sql_timeout": "--timeout", "sql_memory_limit": "--memory-limit"}.get(err.key, err.key)
        raise CliError(f"{option} {err}", EXIT_USAGE) from None


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
    _budget_options(p)
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
    p.add_argument("--limit", type=int, metavar="N",
                   help=f"print at most N rows (0: all; default {SQL_TABLE_ROWS} for a table, all for csv and json)")
    _query_options(p)

    p = add("search", "full-text search over article titles and bodies (Arabic stemming; read-only)")
    p.add_argument("query")
    p.add_argument("--limit", type=int, default=20, help="best N matches (default 20)")
    p.add_argument("--source", action="append", default=[], metavar="ID", help="only this source_id (repeatable)")
    p.add_argument("--since", metavar="DATE", help="published on or after this day (YYYY-MM-DD, UTC)")
    p.add_argument("--until", metavar="DATE", help="published on or before this day (YYYY-MM-DD, UTC)")
    p.add_argument("--all", action="store_true", dest="all_words", help="every word of the query must match")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    _query_options(p)

    p = add("maintain", "apply migrations, compact small files, expire old snapshots, delete unreferenced files")
    p.add_argument("--expire-days", type=float, default=30, help="keep snapshots (time travel) this many days (default 30)")
    p.add_argument("--grace-hours", type=float, default=24, help="delete released files only after this many hours (default 24)")
    p.add_argument("--wait", action="store_true", help="wait for another running writer instead of exiting")

    p = add("alerts", "set up notifications on the Prefect server (PREFECT_API_URL): a failed night, a source gone "
                      "silent or low; the config's alerts: names the kind and the environment variable with the URL")
    p.add_argument("--config", help="config file (env NEWS_ETL_CONFIG; default config/news-etl.yaml)")
    p.add_argument("--test", action="store_true", help="also send a test notification")

    p = add("status", "last runs, every source's freshness (silent or low sources first), rejects by reason; "
                      "read-only, never starts Prefect")
    p.add_argument("--runs", type=int, default=10, help="how many of the last runs to show (default 10)")
    p.add_argument("--days", type=int, default=7, help="rejects by reason over the last N days (default 7)")
    p.add_argument("--section", choices=("all", "runs", "sources", "rejects"), default="all",
                   help="only one part (csv prints each part as its own block)")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")

    p = add("report", "write a self-contained HTML report (charts) from the warehouse; never starts Prefect")
    p.add_argument("--out", help="output file (default DATA_DIR/reports/report.html)")
    p.add_argument("--days", type=int, help="limit the per-day chart to the last N days with articles")
    p.add_argument("--top", type=int, default=15, help="how many actors and places to chart (default 15)")

    p = add("server", "the data directory's local Prefect server, which records every run (started by the first "
                      "command that needs it, stopped after NEWS_ETL_PREFECT_IDLE_MINUTES idle minutes, default 30)")
    p.add_argument("action", choices=("start", "stop", "status"))
    p.add_argument("--idle-minutes", type=float, help="start: stop by itself after this many minutes without a request")

    add("ui", "print the URL of the Prefect UI where the runs are (starts the local server if needed)")
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

    from render.output import write
    from warehouse.reader import open_query

    _check("--limit", "sql_limit", args.limit)
    limits = _query_limits(args)
    limit = args.limit if args.limit is not None else (SQL_TABLE_ROWS if args.format == "table" else 0)
    try:
        with open_query(_paths(args), args.query, limits) as stream:
            write(args.format, stream.columns, stream.batches(), limit)
    except duckdb.OutOfMemoryException as err:
        raise CliError(
            f"query failed: it needs more memory than {limits.memory_limit} bytes (--memory-limit, {ENV_SQL_MEMORY}): "
            f"{str(err).splitlines()[0]}"
        ) from err
    except duckdb.Error as err:
        raise CliError(f"query failed: {str(err).splitlines()[0]}") from err
    return EXIT_OK


def _configure_prefect(paths: LakePaths) -> str:
    """Where this command's flow runs go (flows/prefect_env.py); before Prefect is imported."""
    from flows import prefect_env  # lazy: only writes need Prefect

    try:
        return prefect_env.configure(paths.prefect_home)
    except prefect_env.SettingError as err:
        raise CliError(str(err), EXIT_USAGE) from err


def _run_load(paths: LakePaths, inputs: list[str], settings: LoadSettings, *, wait: bool) -> dict[str, Any]:
    from collect.inputs import InputError, discover  # lazy: only writes need these
    from flows import prefect_env  # lazy: only writes need Prefect

    try:
        discover(inputs)  # fail fast on a missing PATH, before Prefect starts
    except InputError as err:
        raise CliError(str(err)) from err
    _check_writable(paths)
    _configure_prefect(paths)
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
    names = ("batch_size", "workers", "source_id", "runner", "full", "html_fallback", *BUDGET_OPTIONS)
    options = {k: getattr(args, k) for k in names}
    try:
        settings = LoadSettings.parse(options, "command line")
    except DataFileError as err:
        raise CliError(str(err), EXIT_USAGE) from err
    summary = _run_load(paths, [str(Path(p)) for p in args.paths], settings, wait=args.wait)
    print(load_summary(summary, paths.data_dir))
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    """The nightly flow (flows/nightly.py) without maintenance: fetch the config's sources, load
    its inputs, each step in a child process stopped at its deadline. Exit 1 when a step failed,
    timed out or a source failed (one line each on stderr), 3 when another run is writing."""
    from core.settings import load_config

    try:
        config = load_config(args.config)
    except DataFileError as err:
        raise CliError(str(err)) from err
    paths = _paths(args)
    fetching = bool(config.sources) and not args.no_fetch
    if not fetching and not config.inputs:
        print("nothing to load: the config lists no inputs")
        return EXIT_OK
    from flows import prefect_env  # lazy: only writes need Prefect

    _check_inputs(config, args.source, fetching)
    _check_writable(paths)
    _configure_prefect(paths)
    from flows.nightly import nightly  # lazy: imports Prefect
    from flows.outcomes import value_of  # lazy: imports Prefect

    try:
        state = nightly(
            config=args.config, data_dir=str(paths.data_dir), fetch=fetching, maintenance=False,
            source=args.source, full=args.full, wait=args.wait, return_state=True,
        )
        steps: list[dict[str, Any]] = list(value_of(state))
    finally:
        prefect_env.silence_shutdown_noise()
    return _report_steps(steps, paths)


def _check_inputs(config: Any, source: str | None, fetching: bool) -> None:
    """A bad sources file or a missing input fails at once, before Prefect starts."""
    from collect.inputs import InputError, discover  # lazy: only writes need these
    from collect.sources import SourcesError, load_sources  # lazy: only writes need these

    try:
        if fetching:
            load_sources(config.sources, source)
        if config.inputs:
            discover(list(config.inputs))
    except (SourcesError, InputError) as err:
        raise CliError(str(err)) from err


def _report_steps(steps: list[dict[str, Any]], paths: LakePaths) -> int:
    """Print each step's summary; exit code 0, 1 (a step or source failed: why on stderr) or 3."""
    for step in steps:
        summary = step.get("summary") or {}
        if step["step"] == "fetch" and "sources" in summary:
            print(fetch_summary(summary, summary.get("failed") or {}))
            if summary.get("load"):
                print(load_summary(summary["load"], paths.data_dir))
        elif step["step"] == "fetch" and summary:  # the load of the fetched pages failed its data tests
            print(load_summary(summary, paths.data_dir))
        elif step["step"] == "load" and summary:
            print(load_summary(summary, paths.data_dir, first_query_hint=True))
        elif step["step"] == "load" and step["status"] == "skipped":
            print(f"nothing to load: {step['detail'].replace('no inputs in the config', 'the config lists no inputs')}")
        elif step["step"] == "freshness" and summary.get("flagged"):
            print("\nsources that need attention (news-etl status):")
            for src in summary["flagged"]:
                print(f"  {src['source_id']}: {src['status']}: {src['reason']}")
    busy = next((s for s in steps if s["status"] == "busy"), None)
    if busy is not None:
        raise CliError(busy["detail"], EXIT_BUSY)
    code = EXIT_OK
    for step in steps:
        if step["status"] in ("completed", "skipped"):
            continue
        code = EXIT_ERROR
        failed = (step.get("summary") or {}).get("failed") or {}
        if failed:
            _report_failed_sources(failed)
        else:
            print(f"news-etl: error: {step['step']} {step['status'].replace('_', ' ')}: {step['detail']}", file=sys.stderr)
    return code


def _run_fetch(paths: LakePaths, sources: str, source: str | None, settings: LoadSettings, *, wait: bool) -> dict[str, str]:
    """Fetch new pages into DATA_DIR/raw/<run_id>.warc.gz, then load that WARC with `settings`
    (one writer lock for both); prints both summaries and returns the sources that failed."""
    from collect.sources import SourcesError, load_sources  # lazy: only fetch needs it
    from flows import prefect_env  # lazy: only fetch needs Prefect

    try:
        load_sources(sources, source)  # fail fast on a bad sources file, before Prefect starts
    except SourcesError as err:
        raise CliError(str(err)) from err
    _check_writable(paths)
    _configure_prefect(paths)
    from flows.jobs import run_fetch  # lazy: imports Prefect
    from warehouse.lock import WriterBusy  # lazy: only writes need it

    try:
        outcome = run_fetch(paths, sources, source, settings, wait=wait)
    except WriterBusy as err:
        raise CliError(str(err), EXIT_BUSY) from err
    finally:
        prefect_env.silence_shutdown_noise()
    print(fetch_summary(outcome.fetched, outcome.failed))
    if outcome.loaded is not None:
        print(load_summary(outcome.loaded, paths.data_dir))
    return outcome.failed


def _report_failed_sources(failed: dict[str, str]) -> int:
    """Exit code 1 and one line per failed source on stderr, or 0."""
    for source_id, why in failed.items():
        print(f"news-etl: error: source {source_id} failed: {why}", file=sys.stderr)
    return EXIT_ERROR if failed else EXIT_OK


def cmd_fetch(args: argparse.Namespace) -> int:
    failed = _run_fetch(_paths(args), args.sources, args.source, LoadSettings(), wait=args.wait)
    return _report_failed_sources(failed)


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

    _check("--limit", "search_limit", args.limit)
    limits = _query_limits(args)
    where = SearchFilter(
        sources=tuple(args.source), since=_day(args.since, "--since"),
        until=_day(args.until, "--until", next_day=True), all_words=args.all_words,
    )
    try:
        hits = search(_paths(args), args.query, args.limit, where, limits)
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

    _check("--expire-days", "expire_days", args.expire_days)
    _check("--grace-hours", "grace_hours", args.grace_hours)
    paths = _paths(args)
    if paths.catalog_setting.is_local and not paths.catalog.exists():
        raise CliError(f"no warehouse at {paths.data_dir}: nothing to maintain")
    _configure_prefect(paths)
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


def cmd_alerts(args: argparse.Namespace) -> int:
    """The notification block and the automations of flows/alerts.py, on the server of PREFECT_API_URL."""
    from core.settings import load_config

    try:
        config = load_config(args.config)
    except DataFileError as err:
        raise CliError(str(err)) from err
    if config.alerts is None:
        raise CliError(f"{config.path or 'the config'} has no alerts: section (docs/operations.md, \"Alerts\")", EXIT_USAGE)
    if not os.environ.get("PREFECT_API_URL"):
        raise CliError("alerts live on a Prefect server: set PREFECT_API_URL (the server the worker uses)", EXIT_USAGE)
    _configure_prefect(_paths(args))
    from flows.alerts import AlertsError, set_up_alerts  # lazy: imports Prefect

    try:
        made, block = set_up_alerts(config.alerts)
        if args.test:
            block.notify(subject="news-etl: test notification", body="news-etl alerts are set up.")  # type: ignore[attr-defined]  # a notification block
    except AlertsError as err:
        raise CliError(str(err)) from err
    secret = config.alerts.api_key_env if config.alerts.notify == "sendgrid" else config.alerts.url_env
    print(f"notification block news-etl-alerts ({made.block_type}; its secret from ${secret}) saved")
    for name in made.automations:
        print(f"automation {name!r} created")
    if args.test:
        print("test notification sent")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    """The lake's last runs, its sources' freshness and its recent rejects (warehouse/freshness.py)."""
    import duckdb  # lazy: read-only commands stay fast

    from render.status import render_status  # lazy: read-only commands stay fast
    from warehouse.freshness import read_status  # lazy: read-only commands stay fast

    if args.runs < 1 or args.days < 1:
        raise CliError("--runs and --days must be at least 1", EXIT_USAGE)
    try:
        status = read_status(_paths(args), runs=args.runs, days=args.days)
    except duckdb.CatalogException as err:
        raise CliError(f"this warehouse has no freshness views yet: run `news-etl run` or `news-etl load` once to upgrade it "
                       f"({str(err).splitlines()[0]})") from err
    except duckdb.Error as err:
        raise CliError(f"status failed: {str(err).splitlines()[0]}") from err
    print(render_status(status, args.format, args.section))
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    import duckdb  # lazy: read-only commands stay fast

    _check("--days", "report_days", args.days)
    _check("--top", "report_top", args.top)
    from render.report import write_report  # lazy: read-only commands stay fast

    try:
        out = write_report(_paths(args), Path(args.out) if args.out else None, days=args.days, top=args.top)
    except duckdb.Error as err:
        raise CliError(f"report failed: {str(err).splitlines()[0]}") from err
    except OSError as err:
        raise CliError(f"cannot write the report: {err}") from err
    print(f"report: {out}")
    return EXIT_OK


def cmd_server(args: argparse.Namespace) -> int:
    from flows import local_server  # lazy: never imports Prefect itself

    paths = _paths(args)
    home = paths.prefect_home
    if args.action == "status":
        st = local_server.status(home)
        if st.state is None or not st.running:
            print(f"not running: {st.detail}")
            return EXIT_ERROR
        idle = f", idle {st.idle_seconds:.0f} s" if st.idle_seconds is not None else ""
        print(f"running: {st.state.url} (UI {st.state.ui_url}), pid {st.state.pid}, since {st.state.started_at}, "
              f"stops after {st.state.idle_minutes:g} idle minutes{idle}; {st.detail}")
        print(f"state: {home}; log: {home / local_server.LOG}")
        return EXIT_OK
    if args.action == "stop":
        st = local_server.stop(home)
        print(f"stopped: pid {st.state.pid} on port {st.state.port}" if st.state is not None else f"not running: {st.detail}")
        return EXIT_OK
    if args.idle_minutes is not None and args.idle_minutes <= 0:
        raise CliError("--idle-minutes must be more than 0", EXIT_USAGE)
    state = _local_server(paths, args.idle_minutes)
    print(f"running: {state.url} (UI {state.ui_url}), pid {state.pid}, stops after {state.idle_minutes:g} idle minutes")
    if os.environ.get("PREFECT_API_URL"):
        print(f"note: PREFECT_API_URL is set ({os.environ['PREFECT_API_URL']}): commands record their runs there")
    return EXIT_OK


def _local_server(paths: LakePaths, idle_minutes: float | None = None) -> Any:
    from flows import local_server  # lazy: never imports Prefect itself

    _check_writable(paths)
    try:
        return local_server.ensure(paths.prefect_home, idle_minutes=idle_minutes)
    except local_server.SettingError as err:
        raise CliError(str(err), EXIT_USAGE) from err
    except local_server.ServerUnavailable as err:
        raise CliError(str(err)) from err


def cmd_ui(args: argparse.Namespace) -> int:
    from flows import prefect_env  # lazy: never imports Prefect itself

    url = os.environ.get("PREFECT_API_URL")
    if url:
        print(url.rstrip("/").removesuffix("/api") + "/")
        return EXIT_OK
    try:
        ephemeral = prefect_env.mode() == "ephemeral"
    except prefect_env.SettingError as err:
        raise CliError(str(err), EXIT_USAGE) from err
    if ephemeral:
        raise CliError(f"{prefect_env.ENV_MODE}=ephemeral: each command's temporary Prefect server is gone when it "
                       "ends; unset it (or set it to local) to keep the runs in a local server", EXIT_USAGE)
    print(_local_server(_paths(args)).ui_url)
    return EXIT_OK


COMMANDS = {"run": cmd_run, "load": cmd_load, "fetch": cmd_fetch, "extract": cmd_extract, "sql": cmd_sql}
COMMANDS.update({"search": cmd_search, "maintain": cmd_maintain})
COMMANDS["report"] = cmd_report
COMMANDS["status"] = cmd_status
COMMANDS["alerts"] = cmd_alerts
COMMANDS.update({"server": cmd_server, "ui": cmd_ui})
# drawn with progress bars on a terminal (render/progress.py); `run`'s steps draw their own
LONG_COMMANDS = {"load", "fetch"}


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


def run() -> NoReturn:
    """The `news-etl` command: `main`, then the process ends without the interpreter's teardown
    of its ~1,500 modules (0.3-2 s after a load). What a normal exit does first still happens,
    in the same order: other threads are joined and their exit hooks run (Prefect sends its last
    logs and events), then the atexit functions (logging, multiprocessing), then stdio is flushed."""
    code = main()
    shutdown = getattr(threading, "_shutdown", None)  # what Py_Finalize calls first; private, so looked up
    if shutdown is not None:
        shutdown()
    atexit._run_exitfuncs()  # what Py_Finalize calls next
    for stream in (sys.stdout, sys.stderr):
        with suppress(Exception):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
