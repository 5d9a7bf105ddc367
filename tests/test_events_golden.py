"""Golden events (tests/golden_events): hand-written articles through the real transform and event
resolution in two runs; the output must match expected.json exactly (regenerate deliberately with
`.venv/bin/python -m tests.golden_events.regen` and review the diff)."""

from __future__ import annotations

import json

from tests.golden_events.harness import EXPECTED, compute


def test_events_of_the_golden_articles() -> None:
    want = json.loads(EXPECTED.read_text(encoding="utf-8"))
    got = json.loads(json.dumps(compute(), ensure_ascii=False))
    assert got == want


def test_golden_articles_show_what_they_are_written_for() -> None:
    """The golden file is not just whatever came out: the cases it was written for hold."""
    run1, run2 = (json.loads(EXPECTED.read_text(encoding="utf-8"))[k] for k in ("run1", "run2"))
    killed = {(e["place"], e["event_date"]): e for e in run2["events"] if e["kind"] == "killed"}
    saraqib = killed[("Saraqib", "2026-03-03")]
    # two outlets and the later toll: one strike, its best estimate the latest report
    assert (saraqib["reports"], saraqib["outlets"], saraqib["count_low"], saraqib["best"]) == (3, 3, 12, 30)
    # the same town five days later and another town the same day are other events
    assert ("Saraqib", "2026-03-08") in killed
    ariha = [e for e in run2["events"] if e["kind"] == "killed" and e["best"] == 3]  # the shelling of Ariha
    assert len(ariha) == 1 and ariha[0]["event_date"] == "2026-03-03" and ariha[0]["event_id"] != saraqib["event_id"]
    # one arrest campaign from two outlets; the prisoners held in al-Hasakah are no event
    (arrests,) = [e for e in run2["events"] if e["kind"] == "arrested"]
    assert (arrests["reports"], arrests["best"], arrests["admin1"]) == (2, 20, "Deir ez-Zor")
    assert not [e for e in run2["events"] if e["admin1"] == "Al-Hasakah"]
    # a toll given whole and in parts (25: 18 of one side, seven of the other) is one incident, its
    # parts no events; the restatement two days later ("وكانت ... قامت بالهجوم ... يوم الجمعة") joins it
    (azaz,) = [e for e in run2["events"] if e["admin1"] == "Aleppo"]
    assert (azaz["place"], azaz["event_date"], azaz["reports"], azaz["best"]) == ("Azaz", "2026-03-06", 2, 25)
    # the bridge merged two events of the first run; the one reported first kept its id
    (merge,) = run2["merges"]
    assert merge["into_event"] == saraqib["event_id"] and merge["into_event"] in {e["event_id"] for e in run1["events"]}
