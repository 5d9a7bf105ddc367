"""Golden events: hand-written articles (tests/golden_events/*.jsonl, two outlets on one air
strike, a toll that grows, a strike the same day in another town, the same town five days later,
one arrest campaign told by two outlets, a stock of prisoners, a clash whose toll one outlet gives
whole and in parts and another restates two days later) through the real transform and
event resolution, and what must come out, written down in tests/golden_events/expected.json.

Two steps, as two nightly runs: `articles.jsonl` and `tolls.jsonl` (the clash near Azaz; the
end-to-end and report tests load `articles.jsonl` alone), then `bridge.jsonl` (a later report that
ties two events of the first run together) with the first run's event ids as `previous`.

    .venv/bin/python -m tests.golden_events.regen      # rewrite expected.json after a deliberate change; review the diff
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from collect.inputs import jsonl_record
from transforms.events import ArticleInput, Report, Resolution, reports_of, resolve
from transforms.pipeline import transform_document
from transforms.records import RawDocument

HERE = Path(__file__).resolve().parent
EXPECTED = HERE / "expected.json"


def read_articles(name: str) -> list[tuple[str, ArticleInput]]:
    """(url, article) of each line of a fixture, through the pipeline's transform."""
    out = []
    for line in (HERE / name).read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        raw = jsonl_record(record, record["url"])
        assert isinstance(raw, RawDocument)
        result = transform_document(raw)
        a = result.article
        assert a is not None
        out.append((record["url"], ArticleInput(a.article_id, a.source_id, a.published_at, a.body, a.body_search,
                                                result.mentions, result.figures,
                                                published_offset_minutes=a.published_offset_minutes)))
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _step(res: Resolution, reports: list[Report], url_of: dict[str, str]) -> dict[str, Any]:
    return {
        "events": [_jsonable(asdict(e)) for e in res.events],
        "reports": [
            {"url": url_of[r.article_id], "report_no": r.report_no, "kind": r.kind, "count_low": r.count_low,
             "count_high": r.count_high, "event_date": _jsonable(r.event_date), "date_precision": r.date_precision,
             "place": r.place, "admin1": r.admin1, "place_from": r.place_from, "perpetrator": r.perpetrator,
             "target": r.target, "event_id": res.links.get(r.key)}
            for r in reports
        ],
        "merges": [asdict(m) for m in res.merges],
    }


def compute() -> dict[str, Any]:
    first = read_articles("articles.jsonl") + read_articles("tolls.jsonl")
    later = read_articles("bridge.jsonl")
    url_of = {a.article_id: url for url, a in first + later}
    reports1 = [r for _, a in first for r in reports_of(a)]
    run1 = resolve(reports1)
    reports2 = reports1 + [r for _, a in later for r in reports_of(a)]
    run2 = resolve(reports2, run1.links)
    return {"run1": _step(run1, reports1, url_of), "run2": _step(run2, reports2, url_of)}
