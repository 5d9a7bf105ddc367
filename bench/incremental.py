"""Incremental runs: a second `news-etl load` over unchanged input, as a fraction of the first,
and Prefect's fixed start-up (a load of an empty folder).

    python -m bench.incremental [--jsonl-docs 5000]

Input: the 181 aeb pages plus the first N SaudiNewsNet articles as jsonl. Runs use what a user
gets by default: no PREFECT_API_URL, so the first command in the data dir starts its local Prefect
server and the next ones reuse it. The fixed start-up (a load of an empty folder) is measured
that way and, for comparison, with a temporary server per command (NEWS_ETL_PREFECT=ephemeral).
"""

from __future__ import annotations

import argparse
import os
import statistics
from pathlib import Path

from bench.common import check, corpus, header, last_run, load_avg, run_cli, skipped, workdir
from bench.html_throughput import prepare
from bench.text_throughput import build_jsonl


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--jsonl-docs", type=int, default=5000)
    parser.add_argument("--startup-runs", type=int, default=2)
    args = parser.parse_args(argv)

    aeb, snn = corpus("aeb"), corpus("saudinewsnet")
    if aeb is None or snn is None:
        return skipped("the aeb and SaudiNewsNet corpora")
    header("Incremental: second run over unchanged input")
    saved = os.environ.pop("PREFECT_API_URL", None)  # the user's default: the data dir's local server
    try:
        with workdir("incr") as tmp:
            base = Path(tmp)
            inputs = base / "in"
            prepare(aeb / "html", inputs / "html", 1)
            n_json, _ = build_jsonl(snn, inputs / "articles.jsonl", args.jsonl_docs)
            docs = 181 + n_json
            env = {"PREFECT_LOGGING_LEVEL": "WARNING"}

            empty = base / "empty"
            empty.mkdir()
            ephemeral = []
            for _ in range(1 + args.startup_runs):  # the first one also creates Prefect's database
                run = run_cli(["load", str(empty)], base / "data-ephemeral", {**env, "NEWS_ETL_PREFECT": "ephemeral"})
                check(run, "load of an empty folder (temporary server)")
                ephemeral.append(run.wall)
            print(f"fixed start-up, temporary server per command (NEWS_ETL_PREFECT=ephemeral): first ever {ephemeral[0]:.1f} s,"
                  f" then {', '.join(f'{s:.1f}' for s in ephemeral[1:])} s -> {statistics.median(ephemeral[1:]):.1f} s")
            data = base / "data"
            startups = []
            try:
                for _ in range(1 + args.startup_runs):  # the first one starts the local server (and creates its database)
                    run = run_cli(["load", str(empty)], data, env)
                    check(run, "load of an empty folder")
                    startups.append(run.wall)
                startup = statistics.median(startups[1:])
                print(f"fixed start-up, default (the data dir's local server): first command {startups[0]:.1f} s"
                      f" (starts the server, creates its database), then {', '.join(f'{s:.1f}' for s in startups[1:])} s"
                      f" -> {startup:.1f} s")

                print(f"first run over {docs} documents, load avg {load_avg()} ...", flush=True)
                first = run_cli(["load", str(inputs)], data, env)
                check(first, "first load")
                info1 = last_run(data)
                print(f"second run over the same input, load avg {load_avg()} ...", flush=True)
                second = run_cli(["load", str(inputs)], data, env)
                check(second, "second load")
                info2 = last_run(data)
            finally:
                run_cli(["server", "stop"], data)
    finally:
        if saved is not None:
            os.environ["PREFECT_API_URL"] = saved
    f1, f2 = float(info1["seconds"]), float(info2["seconds"])
    print(f"  first:  wall {first.wall:6.1f} s, flow {f1:6.1f} s: {info1['articles_new']} new, {info1['rejects']} rejects")
    print(f"  second: wall {second.wall:6.1f} s, flow {f2:6.1f} s: {info2['articles_new']} new,"
          f" {info2['duplicates']} duplicates, {info2['rejects']} rejects")
    if first.wall - startup > 1.0:
        beyond = f"{(second.wall - startup) / (first.wall - startup):.0%} beyond the fixed start-up"
    else:
        beyond = "the first run was not longer than the start-up (machine too busy to separate them)"
    print(f"second/first: {second.wall / first.wall:.0%} of wall time; {beyond};"
          f" {f2 / f1:.0%} of flow time (target <= 5% beyond start-up)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
