"""Golden documents: the bundled samples (seed .txt files and our HTML pages) and what the
transform must make of each, written down in tests/golden/<name>.json."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from transforms.pipeline import TransformOptions, transform_document
from transforms.records import RawDocument

ROOT = Path(__file__).resolve().parent.parent.parent
GOLDEN = Path(__file__).resolve().parent
SAMPLES = ROOT / "samples"
FIXTURES = ROOT / "tests" / "fixtures" / "html"


@dataclass(frozen=True)
class Case:
    name: str
    path: Path
    media_type: str


def cases() -> list[Case]:
    out = [Case(p.stem, p, "text") for p in sorted(SAMPLES.glob("*.txt"))]
    out += [Case(p.stem, p, "html") for p in sorted((SAMPLES / "html").glob("*.html"))]
    out += [Case(p.stem, p, "html") for p in sorted(FIXTURES.glob("*.html"))]
    return out


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def snapshot(case: Case, options: TransformOptions | None = None) -> dict[str, Any]:
    raw = RawDocument(
        input_ref=str(case.path.relative_to(ROOT)),
        content=case.path.read_bytes(),
        media_type="html" if case.media_type == "html" else "text",
    )
    result = transform_document(raw, options)
    if result.article is None:
        assert result.reject is not None
        return {"reject": {"reason": result.reject.reason, "detail": result.reject.detail}}
    a = result.article
    return {
        "article": {
            "title": a.title,
            "subtitle": a.subtitle,
            "byline": a.byline,
            "outlet": a.outlet,
            "section": a.section,
            "url": a.url,
            "published_at": _iso(a.published_at),
            "published_precision": a.published_precision,
            "published_offset_minutes": a.published_offset_minutes,
            "date_note": a.date_note,
            "language": a.language,
            "body": a.body.split("\n"),
        },
        "embeds": [
            {"kind": e.kind, "url": e.url, "author": e.author, "text": e.text, "posted_at": _iso(e.posted_at), "language": e.language}
            for e in result.embeds
        ],
        "removed": [{"line_no": r.line_no, "rule": r.rule, "line": r.line} for r in result.removed],
    }
