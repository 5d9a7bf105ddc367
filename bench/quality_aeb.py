"""Main-text extraction quality on the Article Extraction Benchmark corpus (AEB), for the
pipeline and for bare `trafilatura.extract` on the same bytes in the same run.

    .venv/bin/python -m bench.quality_aeb [--corpus ../shared/corpora/aeb] [--limit N] [--json]

Score: bag-of-tokens precision/recall/F1 of the extracted text against `articleBody` in
ground-truth.json (tokens: lower-cased \\w+ runs), macro-averaged over documents and micro
(summed over the corpus). A document one side fails on scores P=R=F1=0 for that side when the
truth is not empty. A third row, trafilatura with include_comments=False (what the pipeline
calls), separates the gain of dropping comments from the gain of our cleaning. Then the same
comparison on the bundled Arabic HTML samples, whose truth is the reviewed golden body
(tests/golden/*.json), with the lines our cleaning removed. When ../shared/corpora/saudinewsnet
is present, a false-positive audit: those articles are clean text, so any removed line other
than a "***" separator is a mistake.
Skips cleanly (exit 0) when the corpus is absent.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import trafilatura

from transforms.pipeline import transform_document
from transforms.records import RawDocument

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "aeb"
_TOKEN = re.compile(r"\w+")


def tokens(text: str | None) -> Counter[str]:
    return Counter(_TOKEN.findall((text or "").lower()))


@dataclass
class Score:
    docs: int = 0
    p_sum: float = 0.0
    r_sum: float = 0.0
    f_sum: float = 0.0
    hit: int = 0
    predicted: int = 0
    truth: int = 0
    failures: int = 0
    per_doc: dict[str, float] = field(default_factory=dict)

    def add(self, key: str, predicted: str | None, truth: str) -> None:
        pred_t, true_t = tokens(predicted), tokens(truth)
        hit = sum((pred_t & true_t).values())
        n_pred, n_true = sum(pred_t.values()), sum(true_t.values())
        p = hit / n_pred if n_pred else (1.0 if not n_true else 0.0)
        r = hit / n_true if n_true else 1.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        self.docs += 1
        self.p_sum, self.r_sum, self.f_sum = self.p_sum + p, self.r_sum + r, self.f_sum + f
        self.hit, self.predicted, self.truth = self.hit + hit, self.predicted + n_pred, self.truth + n_true
        self.failures += predicted is None
        self.per_doc[key] = f

    def summary(self) -> dict[str, float]:
        n = max(self.docs, 1)
        mp = self.hit / self.predicted if self.predicted else 0.0
        mr = self.hit / self.truth if self.truth else 0.0
        return {
            "precision": self.p_sum / n,
            "recall": self.r_sum / n,
            "f1": self.f_sum / n,
            "micro_precision": mp,
            "micro_recall": mr,
            "micro_f1": 2 * mp * mr / (mp + mr) if mp + mr else 0.0,
            "docs": self.docs,
            "failures": self.failures,
        }


def pipeline_text(ref: str, data: bytes, url: str | None) -> tuple[str | None, int]:
    result = transform_document(RawDocument(input_ref=ref, content=data, media_type="html", url=url))
    if result.article is None:
        return None, 0
    return result.article.body, len(result.removed)


def bare_text(data: bytes) -> str | None:
    return trafilatura.extract(data)


def run_aeb(corpus: Path, limit: int | None) -> dict[str, object]:
    truth: dict[str, dict[str, str]] = json.loads((corpus / "ground-truth.json").read_text("utf-8"))
    pipe, bare, no_comments = Score(), Score(), Score()
    removed_lines = 0
    t_pipe = t_bare = 0.0
    keys = sorted(truth)[:limit] if limit else sorted(truth)
    for key in keys:
        path = corpus / "html" / f"{key}.html.gz"
        if not path.exists():
            continue
        data = gzip.decompress(path.read_bytes())
        body = truth[key].get("articleBody") or ""
        t0 = time.perf_counter()
        text, removed = pipeline_text(key, data, truth[key].get("url"))
        t1 = time.perf_counter()
        plain = bare_text(data)
        t2 = time.perf_counter()
        t_pipe, t_bare = t_pipe + t1 - t0, t_bare + t2 - t1
        pipe.add(key, text, body)
        bare.add(key, plain, body)
        no_comments.add(key, trafilatura.extract(data, include_comments=False), body)
        removed_lines += removed
    worse = sorted(((pipe.per_doc[k] - bare.per_doc[k], k) for k in pipe.per_doc), key=lambda x: x[0])[:5]
    return {
        "pipeline": pipe.summary(),
        "bare_trafilatura": bare.summary(),
        "trafilatura_no_comments": no_comments.summary(),
        "pipeline_removed_lines": removed_lines,
        "seconds": {"pipeline": round(t_pipe, 2), "bare_trafilatura": round(t_bare, 2)},
        "largest_losses": [{"doc": k[:16], "f1_delta": round(d, 4)} for d, k in worse if d < 0],
    }


def run_arabic_samples() -> dict[str, object]:
    """Arabic sample pages: truth is the reviewed golden body (so the pipeline side is a check
    that nothing drifted; the bare side shows what it leaves in)."""
    pipe, bare = Score(), Score()
    removed_lines = 0
    for page in sorted((ROOT / "samples" / "html").glob("*.html")):
        golden = ROOT / "tests" / "golden" / f"{page.stem}.json"
        if not golden.exists():
            continue
        body = "\n".join(json.loads(golden.read_text("utf-8"))["article"]["body"])
        data = page.read_bytes()
        text, removed = pipeline_text(page.name, data, None)
        plain = bare_text(data)
        pipe.add(page.stem, text, body)
        bare.add(page.stem, plain, body)
        removed_lines += removed
    return {"pipeline": pipe.summary(), "bare_trafilatura": bare.summary(), "pipeline_removed_lines": removed_lines}


def run_precision_audit(corpus: Path, limit: int) -> dict[str, object]:
    """False-positive audit: SaudiNewsNet articles are already clean text (no boilerplate), so
    every line our rules remove there is a mistake. Also counts how many get a date, with the
    crawl time (`date_extracted`) as the anchor for اليوم/أمس."""
    files = sorted(corpus.glob("*.json.gz"))[:1]
    removed: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    docs = dated = 0
    for path in files:
        for item in json.loads(gzip.decompress(path.read_bytes()))[:limit]:
            fetched = datetime.strptime(item["date_extracted"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
            raw = RawDocument(
                input_ref=item["url"], content=item["content"].encode(), media_type="text",
                url=item["url"], title=item.get("title"), fetched_at=fetched,
            )
            result = transform_document(raw)
            if result.article is None:
                continue
            docs += 1
            dated += result.article.published_at is not None
            for r in result.removed:
                removed[r.rule] += 1
                examples.setdefault(r.rule, []).append(r.line[:80])
    return {"docs": docs, "removed_lines": dict(removed), "examples": {k: v[:3] for k, v in examples.items()}, "dated": dated}


def _row(name: str, s: dict[str, float]) -> str:
    return (
        f"  {name:<18} P {s['precision']:.4f}  R {s['recall']:.4f}  F1 {s['f1']:.4f}   "
        f"(micro P {s['micro_precision']:.4f} R {s['micro_recall']:.4f} F1 {s['micro_f1']:.4f}; "
        f"docs {int(s['docs'])}, failed {int(s['failures'])})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--audit-limit", type=int, default=1500, help="SaudiNewsNet articles in the false-positive audit")
    args = parser.parse_args(argv)
    report: dict[str, object] = {}
    if (args.corpus / "ground-truth.json").exists():
        report["aeb"] = run_aeb(args.corpus, args.limit)
    else:
        print(f"quality_aeb: corpus not found at {args.corpus}; skipping the AEB comparison", file=sys.stderr)
    report["arabic_samples"] = run_arabic_samples()
    snn = args.corpus.parent / "saudinewsnet"
    if snn.is_dir():
        report["saudinewsnet_audit"] = run_precision_audit(snn, args.audit_limit)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return 0
    audit = report.pop("saudinewsnet_audit", None)
    for name, part in report.items():
        assert isinstance(part, dict)
        print(f"{name}:")
        print(_row("pipeline", part["pipeline"]))
        print(_row("bare trafilatura", part["bare_trafilatura"]))
        if "trafilatura_no_comments" in part:
            print(_row("(no comments)", part["trafilatura_no_comments"]))
        delta = part["pipeline"]["f1"] - part["bare_trafilatura"]["f1"]
        print(f"  F1 delta (pipeline - bare): {delta:+.4f}; lines removed by our cleaning: {part['pipeline_removed_lines']}")
        if "seconds" in part:
            print(f"  time: {part['seconds']}; largest per-document losses: {part['largest_losses']}")
    if isinstance(audit, dict):
        print("saudinewsnet_audit (already clean Arabic text: a removed line other than a separator is a false positive):")
        print(f"  articles {audit['docs']}, removed lines {audit['removed_lines']}, dated {audit['dated']}")
        if audit["examples"]:
            print(f"  examples: {audit['examples']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
