"""`make bench`: every benchmark in turn. Each prints its figures, or says it was skipped because
../shared/corpora is absent (exit 0). Run one alone with `python -m bench.<name> --help`."""

from __future__ import annotations

import argparse
import sys
import time

from bench import html_throughput, incremental, nightly_bench, query_bench, scaling, startup, text_throughput
from bench.common import corpora_dir


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__).parse_args(argv)
    start = time.perf_counter()
    where = corpora_dir()
    print(f"corpora: {where if where else 'not found (the corpus benchmarks will be skipped)'}")
    failed = []
    for mod in (startup, html_throughput, text_throughput, incremental, query_bench, nightly_bench, scaling):
        try:
            code = mod.main([])
        except SystemExit as err:  # a benchmark that found a real failure says so and exits
            print(err, file=sys.stderr)
            code = 1
        if code:
            failed.append(mod.__name__)
    print(f"\nall benchmarks done in {time.perf_counter() - start:.0f} s" + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
