"""`news-etl extract`: what the pipeline makes of one input, for a rule author (text or JSON).

The cleaned text, every removed line with its rule, the resolved fields with where each came
from (provenance), and the facts (mentions, figures) and embeds. Nothing is written anywhere.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from transforms.records import DocumentResult


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def as_dict(result: DocumentResult) -> dict[str, Any]:
    """One result as plain data (the `--format json` record)."""
    out: dict[str, Any] = {"input_ref": result.input_ref}
    if result.reject is not None:
        out["reject"] = {"reason": result.reject.reason, "detail": result.reject.detail}
        return out
    a = result.article
    assert a is not None
    prov = result.provenance
    out["article"] = {
        "article_id": a.article_id, "source_id": a.source_id, "outlet": a.outlet, "url": a.url, "title": a.title,
        "subtitle": a.subtitle, "byline": a.byline, "section": a.section, "published_at": _iso(a.published_at),
        "published_precision": a.published_precision, "date_note": a.date_note, "language": a.language,
        "word_count": a.word_count, "extractor": a.extractor, "body": a.body.split("\n"),
    }
    out["from"] = {
        "source_id": prov.source_id if prov else None,
        "outlet": prov.outlet if prov else None,
        "title": prov.title if prov else None,
        "published_at": prov.published_at if prov else None,
    }
    out["removed"] = [{"line_no": r.line_no, "rule": r.rule, "line": r.line} for r in result.removed]
    out["embeds"] = [
        {"kind": e.kind, "url": e.url, "author": e.author, "text": e.text, "posted_at": _iso(e.posted_at)} for e in result.embeds
    ]
    out["mentions"] = [
        {"kind": m.kind, "surface": m.surface, "canonical": m.canonical, "admin1": m.admin1, "admin2": m.admin2}
        for m in result.mentions
    ]
    out["figures"] = [
        {"kind": f.kind, "count_low": f.count_low, "count_high": f.count_high, "qualifier": f.qualifier, "sentence": f.sentence}
        for f in result.figures
    ]
    return out


def to_json(results: Sequence[DocumentResult]) -> str:
    return json.dumps([as_dict(r) for r in results], ensure_ascii=False, indent=2)


def _field(name: str, value: object, origin: str | None = None) -> str:
    shown = "-" if value is None or value == "" else str(value)
    return f"{name:<10} {shown}" + (f"   (from {origin})" if origin else "")


def _count(low: int | None, high: int | None) -> str:
    if low is None and high is None:
        return "?"
    return str(low) if low == high else f"{low if low is not None else '?'}-{high if high is not None else '?'}"


def to_text(result: DocumentResult) -> str:
    """One result as a person reads it."""
    lines = [f"== {result.input_ref}"]
    if result.reject is not None:
        lines.append(f"rejected: {result.reject.reason}: {result.reject.detail}")
        return "\n".join(lines)
    a = result.article
    assert a is not None
    prov = result.provenance
    date = f"{a.published_at:%Y-%m-%d} ({a.published_precision})" if a.published_at else None
    lines += [
        _field("source_id", a.source_id, prov.source_id if prov else None),
        _field("outlet", a.outlet, prov.outlet if prov else None),
        _field("title", a.title, prov.title if prov else None),
        _field("published", date or a.date_note, prov.published_at if prov else None),
        _field("url", a.url),
        _field("subtitle", a.subtitle),
        _field("byline", a.byline),
        _field("section", a.section),
        _field("language", f"{a.language}, {a.word_count} words, by {a.extractor}"),
    ]
    body = a.body.split("\n")
    lines += ["", f"-- text ({len(body)} lines)", *body]
    lines += ["", f"-- removed ({len(result.removed)} lines)"]
    width = max((len(r.rule) for r in result.removed), default=0)
    lines += [f"{r.line_no:>4}  {r.rule:<{width}}  {r.line}" for r in result.removed]
    if result.embeds:
        lines += ["", f"-- embeds ({len(result.embeds)})"]
        lines += [f"  {e.kind}: {' '.join(str(x) for x in (e.author, e.url, e.text) if x)}" for e in result.embeds]
    lines += ["", f"-- mentions ({len(result.mentions)})"]
    seen: dict[tuple[str, str], int] = {}
    for m in result.mentions:
        seen[(m.kind, m.canonical)] = seen.get((m.kind, m.canonical), 0) + 1
    lines += [f"  {kind:<6} {canonical}" + (f"  x{n}" if n > 1 else "") for (kind, canonical), n in seen.items()]
    lines += ["", f"-- figures ({len(result.figures)})"]
    lines += [f"  {f.kind:<10} {_count(f.count_low, f.count_high):>7} {f.qualifier or '':<9}  {f.sentence}" for f in result.figures]
    return "\n".join(lines)
