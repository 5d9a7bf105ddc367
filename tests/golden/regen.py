"""Write the expected JSON for the golden documents (run by hand, never by pytest):

    .venv/bin/python -m tests.golden.regen            # all
    .venv/bin/python -m tests.golden.regen 000 enab   # those whose file name contains a word

Review every diff (git diff tests/golden) before committing: the files are the specification.
"""

from __future__ import annotations

import json
import sys

from tests.golden.harness import GOLDEN, cases, snapshot


def main(words: list[str]) -> None:
    for case in cases():
        if words and not any(w in case.name for w in words):
            continue
        target = GOLDEN / f"{case.name}.json"
        target.write_text(json.dumps(snapshot(case), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print("wrote", target)


if __name__ == "__main__":
    main(sys.argv[1:])
