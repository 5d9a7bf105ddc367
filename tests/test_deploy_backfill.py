"""Backfill by date range: which raw archives a range selects (no Prefect needed)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from flows.backfill import BackfillError, archives_between


def test_archives_between_selects_runs_by_their_utc_day(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    names = [
        "20260228T233000Z-aaaa0001.warc.gz",
        "20260301T023000Z-aaaa0002.warc.gz",
        "20260303T023000Z-aaaa0003.warc",
        "20260304T023000Z-aaaa0004.warc.gz",
        "notes.txt",
        "20260302-not-a-run.warc.gz",
    ]
    for name in names:
        (raw / name).write_bytes(b"")
    got = [p.name for p in archives_between(raw, date(2026, 3, 1), date(2026, 3, 3))]
    assert got == ["20260301T023000Z-aaaa0002.warc.gz", "20260303T023000Z-aaaa0003.warc"]
    assert archives_between(raw, date(2026, 3, 4), date(2026, 3, 4))[0].name.startswith("20260304")
    assert archives_between(tmp_path / "missing", date(2026, 3, 1), date(2026, 3, 2)) == []
    with pytest.raises(BackfillError, match="ends"):
        archives_between(raw, date(2026, 3, 2), date(2026, 3, 1))
