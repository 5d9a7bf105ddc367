"""Rewrite tests/golden_events/expected.json from the fixtures (review the diff before committing).

    .venv/bin/python -m tests.golden_events.regen
"""

from __future__ import annotations

import json

from tests.golden_events.harness import EXPECTED, compute


def main() -> None:
    EXPECTED.write_text(json.dumps(compute(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {EXPECTED}")


if __name__ == "__main__":
    main()
