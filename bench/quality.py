"""The extraction quality gate: main text, titles and dates of the pipeline beside the bare libraries
it wraps, on every corpus, in one run, against pinned floors.

    .venv/bin/python -m bench.quality [--corpora DIR] [--workers 2] [--json] [--variants]
                                      [--only CORPUS] [--limit N]

Corpora (all required: a missing one is an error, exit 2):

* `aeb`: 181 news pages (2019), truth `articleBody` of ground-truth.json (main text only).
* `wcxb-dev`: 711 article pages (2024-2025), truth `main_content`, `title`, `publish_date` (588).
* `arabic`: the project's Arabic HTML pages (samples/html, tests/fixtures/html); truth the reviewed
  golden body and title (tests/golden/), dates as labelled in bench/arabic_pages.yaml.
* `saudinewsnet` (first day file, 1,500 articles): clean Arabic newspaper text, so every line our
  boilerplate rules remove there, other than a "***" separator, is a false positive (an audit of
  the rules' precision on real text; the gate allows none).

Systems, on the same bytes and URL in the same run: the pipeline (`transform_document`), bare
`trafilatura.extract()`, `extract(output_format="json", with_metadata=True)`, `extract(fast=True)`,
and htmldate's `find_date(extensive_search=True)` / `(extensive_search=False)`, both with
`original_date=True` as trafilatura calls it (without it htmldate looks for the last update).

Scores (WCXB's): main text, word-level F1 between the text and the truth (lower-cased `\\w+`
tokens, multiset overlap), mean over pages; a page a system fails on scores 0 (1 when the truth is
empty too). Titles: exact match after whitespace normalisation, and token F1. Dates, on pages with a
known date: accuracy = right day / pages, precision = right day / pages answered (a truth given to
the month only is matched on the month).

Checks (bench/quality_floors.yaml): every floor, and every "ahead" comparison (the pipeline at least
as good as the named bare systems), allowing the file's noise; exit 1 on a regression, naming it.
`--limit`/`--only` runs skip the checks (they measure something else). `--variants` adds the
pipeline without the fast pass favouring recall and with it instead of the balanced one, and with
the HTML comparison never run and always run, to measure what each choice costs and gains (docs/extraction.md). Timings
are CPU seconds summed over the pages, taken inside the worker processes: less sensitive to a busy
machine than wall time, still indicative only there. The quality figures do not depend on load.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, Literal

import trafilatura
from htmldate import find_date

from core import datafile
from transforms.fields import local_day
from transforms.pipeline import TransformOptions, transform_document
from transforms.records import RawDocument

ROOT = Path(__file__).resolve().parent.parent
FLOORS = Path(__file__).with_name("quality_floors.yaml")
ARABIC_LABELS = Path(__file__).with_name("arabic_pages.yaml")
ENV_CORPORA = "NEWS_ETL_CORPORA"
CORPORA = ("aeb", "wcxb-dev", "arabic")
_TOKEN = re.compile(r"\w+")

TEXT_SYSTEMS = ("pipeline", "extract", "extract_json", "extract_fast")
TITLE_SYSTEMS = ("pipeline", "extract_json")
DATE_SYSTEMS = ("pipeline", "extract_json", "htmldate_extensive", "htmldate_fast")
VARIANTS = {
    "pipeline_fast": TransformOptions(html_gate=False, html_recall="never"),
    "pipeline_balanced": TransformOptions(html_recall="never"),
    "pipeline_recall": TransformOptions(html_recall="always"),
    "pipeline_never": TransformOptions(html_gate=False),
    "pipeline_always": TransformOptions(html_fallback=True),
}
LABELS = {
    "pipeline": "pipeline",
    "pipeline_unremoved": "pipeline, removed lines kept",
    "pipeline_fast": "pipeline, fast pass only",
    "pipeline_balanced": "pipeline, no recall pass",
    "pipeline_recall": "pipeline, recall pass always",
    "pipeline_never": "pipeline, comparison never",
    "pipeline_always": "pipeline, comparison always",
    "extract": "extract()",
    "extract_json": "extract(json, metadata)",
    "extract_fast": "extract(fast=True)",
    "htmldate_extensive": "find_date(extensive)",
    "htmldate_fast": "find_date(fast)",
}
Metric = Literal["text_f1", "title_exact", "title_f1", "date_accuracy", "date_precision"]


class CorpusMissing(RuntimeError):
    """A corpus the gate needs is not where it should be."""


# -- scoring ----------------------------------------------------------------------------------------


def tokens(text: str | None) -> Counter[str]:
    return Counter(_TOKEN.findall((text or "").lower()))


def prf(predicted: str | None, truth: str | None) -> tuple[float, float, float]:
    """Word-level precision, recall and F1 (WCXB's scoring: lower-cased \\w+ tokens, multiset overlap)."""
    pred_t, true_t = tokens(predicted), tokens(truth)
    n_pred, n_true = sum(pred_t.values()), sum(true_t.values())
    if not n_true:
        return (1.0, 1.0, 1.0) if not n_pred else (0.0, 1.0, 0.0)
    if not n_pred:
        return 0.0, 0.0, 0.0
    hit = sum((pred_t & true_t).values())
    p, r = hit / n_pred, hit / n_true
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def same_title(predicted: str | None, truth: str) -> bool:
    return " ".join((predicted or "").split()) == " ".join(truth.split())


def date_matches(predicted: str | None, truth: str) -> bool:
    """The predicted ISO date/datetime names the truth's day (or month, when the truth has only that)."""
    return bool(predicted) and str(predicted)[: len(truth)] == truth and len(truth) in (7, 10)


# -- pages ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Page:
    corpus: str
    key: str
    path: str  # .html or .html.gz
    url: str | None
    text: str | None  # truth main text (None: not scored)
    title: str | None
    date: str | None  # truth YYYY-MM-DD or YYYY-MM (None: not scored)
    fetched_at: str | None = None  # crawl time when the corpus records it


@dataclass(slots=True)
class PageResult:
    corpus: str
    key: str
    text: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    title: dict[str, tuple[bool, float]] = field(default_factory=dict)
    date: dict[str, str | None] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    note: str | None = None  # the pipeline's date note
    path: str | None = None  # the pipeline's extractor: trafilatura | trafilatura+recall | trafilatura+fallback


def corpora_dir(explicit: Path | None) -> Path:
    if explicit is not None:
        return explicit
    for raw in (os.environ.get(ENV_CORPORA), str(ROOT.parent / "shared" / "corpora"), "/work/shared/corpora"):
        if raw and Path(raw).is_dir():
            return Path(raw)
    return ROOT.parent / "shared" / "corpora"


def aeb_pages(base: Path) -> list[Page]:
    truth_file = base / "aeb" / "ground-truth.json"
    if not truth_file.is_file():
        raise CorpusMissing(f"the AEB corpus is missing: {truth_file} not found")
    truth: dict[str, dict[str, str]] = json.loads(truth_file.read_text("utf-8"))
    pages = []
    for key in sorted(truth):
        path = base / "aeb" / "html" / f"{key}.html.gz"
        if not path.is_file():
            raise CorpusMissing(f"the AEB corpus is incomplete: {path} not found")
        pages.append(Page("aeb", key, str(path), truth[key].get("url"), truth[key].get("articleBody") or "", None, None))
    return pages


def wcxb_pages(base: Path) -> list[Page]:
    folder = base / "wcxb-dev"
    files = sorted((folder / "ground-truth").glob("*.json"))
    if not files:
        raise CorpusMissing(f"the WCXB dev corpus is missing: no {folder / 'ground-truth' / '*.json'}")
    pages = []
    for file in files:
        item = json.loads(file.read_text("utf-8"))
        truth = item.get("ground_truth") or {}
        path = folder / "html" / f"{item['file_id']}.html.gz"
        if not path.is_file():
            raise CorpusMissing(f"the WCXB dev corpus is incomplete: {path} not found")
        pages.append(
            Page(
                "wcxb-dev",
                str(item["file_id"]),
                str(path),
                item.get("url"),
                truth.get("main_content"),  # one page has none: its text is not scored
                truth.get("title") or None,
                truth.get("publish_date") or None,
                item.get("downloaded_at"),
            )
        )
    return pages


@dataclass(frozen=True, slots=True)
class ArabicLabel:
    date: str | None = None  # the publication day read off the page, when a person can tell it


@dataclass(frozen=True, slots=True)
class ArabicLabels:
    pages: dict[str, ArabicLabel]


def arabic_pages() -> list[Page]:
    labels = datafile.load(ARABIC_LABELS, ArabicLabels).pages
    pages = []
    for path in sorted([*(ROOT / "samples" / "html").glob("*.html"), *(ROOT / "tests" / "fixtures" / "html").glob("*.html")]):
        golden = ROOT / "tests" / "golden" / f"{path.stem}.json"
        if not golden.is_file():
            continue
        article = json.loads(golden.read_text("utf-8"))["article"]
        label = labels.get(path.stem, ArabicLabel())
        pages.append(Page("arabic", path.stem, str(path), article.get("url"), "\n".join(article["body"]), article.get("title"), label.date))
    missing = sorted(set(labels) - {p.key for p in pages})
    if missing or not pages:
        raise CorpusMissing(f"the Arabic pages are incomplete: labelled in {ARABIC_LABELS.name} but not found: {missing}")
    return pages


def load_pages(base: Path, only: Iterable[str]) -> list[Page]:
    readers: dict[str, Callable[[], list[Page]]] = {
        "aeb": lambda: aeb_pages(base),
        "wcxb-dev": lambda: wcxb_pages(base),
        "arabic": arabic_pages,
    }
    return [page for name in only for page in readers[name]()]


def audit_clean_text(base: Path, limit: int = 1500) -> dict[str, Any]:
    """Lines our rules remove from already-clean Arabic articles (SaudiNewsNet, the first day file)."""
    files = sorted((base / "saudinewsnet").glob("*.json.gz"))
    if not files:
        raise CorpusMissing(f"the SaudiNewsNet corpus is missing: no {base / 'saudinewsnet' / '*.json.gz'}")
    removed: Counter[str] = Counter()
    examples: list[str] = []
    docs = 0
    for item in json.loads(gzip.decompress(files[0].read_bytes()))[:limit]:
        raw = RawDocument(
            input_ref=item["url"], content=item["content"].encode(), media_type="text", url=item["url"], title=item.get("title")
        )
        result = transform_document(raw)
        docs += result.article is not None
        for r in result.removed:
            removed[r.rule] += 1
            if r.rule != "separator" and len(examples) < 5:
                examples.append(f"{r.rule}: {r.line[:80]}")
    false_positives = sum(n for rule, n in removed.items() if rule != "separator")
    return {"articles": docs, "removed": dict(removed), "false_positives": false_positives, "examples": examples}


# -- one page, every system -------------------------------------------------------------------------


def _read(path: str) -> bytes:
    data = Path(path).read_bytes()
    return gzip.decompress(data) if path.endswith(".gz") else data


def _timed(seconds: dict[str, float], name: str, fn: Callable[[], Any]) -> Any:
    """fn(), its CPU seconds added to `seconds[name]` (CPU time of the worker process: a busy
    machine slows the wall clock but hardly the CPU time a call needs)."""
    start = time.process_time()
    try:
        return fn()
    except Exception:  # noqa: BLE001  # a system that fails on a page scores as having nothing
        return None
    finally:
        seconds[name] = time.process_time() - start


def score_page(page: Page, variants: bool = False) -> PageResult:
    data = _read(page.path)
    res = PageResult(page.corpus, page.key)
    texts: dict[str, str | None] = {}
    titles: dict[str, str | None] = {}
    fetched = datetime.fromisoformat(page.fetched_at).replace(tzinfo=UTC) if page.fetched_at else None
    pipelines = {"pipeline": TransformOptions()}
    if variants:
        pipelines |= VARIANTS
    for name, options in pipelines.items():
        raw = RawDocument(input_ref=page.key, content=data, media_type="html", url=page.url, fetched_at=fetched)
        result = _timed(res.seconds, name, partial(transform_document, raw, options))
        article = result.article if result is not None else None
        texts[name] = article.body if article is not None else None
        if name == "pipeline":
            # what our boilerplate rules took out, put back: their effect on each corpus
            texts["pipeline_unremoved"] = (
                "\n".join([article.body, *(r.line for r in result.removed)]) if article is not None else None
            )
        if name == "pipeline":
            titles[name] = article.title if article is not None else None
            # the day as the source wrote it (a time with its zone is stored as the UTC instant)
            res.date[name] = (
                local_day(article.published_at, article.published_offset_minutes).isoformat()
                if article is not None and article.published_at
                else None
            )
            res.path = article.extractor if article is not None else None
            res.note = article.date_note if article is not None else None
    texts["extract"] = _timed(res.seconds, "extract", lambda: trafilatura.extract(data, url=page.url))
    texts["extract_fast"] = _timed(res.seconds, "extract_fast", lambda: trafilatura.extract(data, url=page.url, fast=True))
    as_json = _timed(
        res.seconds, "extract_json", lambda: trafilatura.extract(data, url=page.url, output_format="json", with_metadata=True)
    )
    meta: dict[str, Any] = json.loads(as_json) if as_json else {}
    texts["extract_json"], titles["extract_json"], res.date["extract_json"] = meta.get("text"), meta.get("title"), meta.get("date")
    for name, extensive in (("htmldate_extensive", True), ("htmldate_fast", False)):
        # original_date=True, as trafilatura calls it: the publication date, not the last update
        search = partial(find_date, data, url=page.url, extensive_search=extensive, original_date=True)
        res.date[name] = _timed(res.seconds, name, search)
    if page.text is not None:
        res.text = {name: prf(text, page.text) for name, text in texts.items()}
    if page.title is not None:
        truth_title = page.title
        res.title = {name: (same_title(t, truth_title), prf(t, truth_title)[2]) for name, t in titles.items()}
    if page.date is None:
        res.date = {}
    return res


def warm_up() -> None:
    """Run every system once on a bundled page so that one-time costs (rule files, regexes,
    jusText's stoplists) stay out of the per-page timings."""
    path = sorted((ROOT / "samples" / "html").glob("*.html"))[0]
    score_page(Page("warm-up", "warm-up", str(path), None, "", "", "2020-01-01"), variants=True)
    for options in VARIANTS.values():
        transform_document(RawDocument("warm-up", path.read_bytes(), "html"), options)


def _score_page_with_variants(page: Page) -> PageResult:
    return score_page(page, variants=True)


# -- aggregation ------------------------------------------------------------------------------------


@dataclass(slots=True)
class CorpusScore:
    pages: int = 0
    text_pages: int = 0
    title_pages: int = 0
    date_pages: int = 0
    text: dict[str, list[float]] = field(default_factory=dict)  # system -> [P, R, F1] sums
    title: dict[str, list[float]] = field(default_factory=dict)  # system -> [exact, F1] sums
    date: dict[str, list[int]] = field(default_factory=dict)  # system -> [right, answered]
    seconds: dict[str, float] = field(default_factory=dict)
    paths: Counter[str] = field(default_factory=Counter)  # pages per trafilatura pass the pipeline's text came from

    def add(self, r: PageResult, truth_dates: dict[tuple[str, str], str]) -> None:
        self.pages += 1
        if r.path:
            self.paths[r.path] += 1
        self.text_pages += bool(r.text)
        self.title_pages += bool(r.title)
        self.date_pages += bool(r.date)
        for name, (p, rec, f) in r.text.items():
            acc = self.text.setdefault(name, [0.0, 0.0, 0.0])
            acc[0], acc[1], acc[2] = acc[0] + p, acc[1] + rec, acc[2] + f
        for name, (exact, f) in r.title.items():
            tacc = self.title.setdefault(name, [0.0, 0.0])
            tacc[0], tacc[1] = tacc[0] + exact, tacc[1] + f
        truth = truth_dates.get((r.corpus, r.key))
        for name, answer in r.date.items():
            dacc = self.date.setdefault(name, [0, 0])
            dacc[0] += bool(truth and date_matches(answer, truth))
            dacc[1] += answer is not None
        for name, s in r.seconds.items():
            self.seconds[name] = self.seconds.get(name, 0.0) + s

    def metrics(self) -> dict[str, dict[str, float]]:
        """system -> metric -> value."""
        out: dict[str, dict[str, float]] = {}
        for name, (p, r, f) in self.text.items():
            n = max(self.text_pages, 1)
            out.setdefault(name, {}).update(text_precision=p / n, text_recall=r / n, text_f1=f / n)
        for name, (exact, f) in self.title.items():
            n = max(self.title_pages, 1)
            out.setdefault(name, {}).update(title_exact=exact / n, title_f1=f / n)
        for name, (right, answered) in self.date.items():
            out.setdefault(name, {}).update(
                date_accuracy=right / max(self.date_pages, 1), date_precision=right / answered if answered else 0.0
            )
        for name, s in self.seconds.items():
            out.setdefault(name, {})["seconds"] = s
        return out


def run(pages: list[Page], workers: int, variants: bool = False) -> tuple[dict[str, CorpusScore], list[PageResult]]:
    truth_dates = {(p.corpus, p.key): p.date for p in pages if p.date}
    scores: dict[str, CorpusScore] = {}
    results: list[PageResult] = []
    fn = _score_page_with_variants if variants else score_page
    if workers <= 1:
        warm_up()
        iterator: Iterator[PageResult] = map(fn, pages)
        for r in iterator:
            scores.setdefault(r.corpus, CorpusScore()).add(r, truth_dates)
            results.append(r)
        return scores, results
    with ProcessPoolExecutor(max_workers=workers, initializer=warm_up) as pool:
        for r in pool.map(fn, pages, chunksize=4):
            scores.setdefault(r.corpus, CorpusScore()).add(r, truth_dates)
            results.append(r)
    return scores, results


# -- floors -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Noise:
    text_f1: float
    title: float
    date: float


@dataclass(frozen=True, slots=True)
class Floor:
    corpus: Literal["aeb", "wcxb-dev", "arabic"]
    metric: Metric
    floor: float
    since: str  # the day the floor was set (YYYY-MM-DD)
    reason: str


@dataclass(frozen=True, slots=True)
class Ahead:
    corpus: Literal["aeb", "wcxb-dev", "arabic"]
    metric: Metric
    of: list[Literal["extract", "extract_json", "extract_fast", "htmldate_extensive", "htmldate_fast"]]
    reason: str


@dataclass(frozen=True, slots=True)
class Floors:
    noise: Noise
    floors: list[Floor]
    ahead: list[Ahead]
    clean_text_false_positives: int  # most lines the rules may remove from SaudiNewsNet's clean text


def noise_for(noise: Noise, metric: str) -> float:
    if metric.startswith("text"):
        return noise.text_f1
    return noise.title if metric.startswith("title") else noise.date


def check(scores: dict[str, CorpusScore], floors: Floors, audit: dict[str, Any] | None = None) -> list[str]:
    """Every regression beyond noise, as a sentence; empty when the gate passes."""
    problems = []
    if audit is not None and audit["false_positives"] > floors.clean_text_false_positives:
        problems.append(
            f"saudinewsnet: the rules removed {audit['false_positives']} lines of clean text "
            f"(at most {floors.clean_text_false_positives}): {audit['examples']}"
        )
    for fl in floors.floors:
        metrics = scores[fl.corpus].metrics().get("pipeline", {})
        value = metrics.get(fl.metric)
        if value is None:
            problems.append(f"{fl.corpus} {fl.metric}: not measured")
        elif value < fl.floor - noise_for(floors.noise, fl.metric):
            problems.append(
                f"{fl.corpus} {fl.metric}: pipeline {value:.4f} is below its floor {fl.floor:.4f} "
                f"(set {fl.since}: {fl.reason}) by more than the noise {noise_for(floors.noise, fl.metric)}"
            )
    for rule in floors.ahead:
        systems = scores[rule.corpus].metrics()
        ours = systems.get("pipeline", {}).get(rule.metric)
        for other in rule.of:
            theirs = systems.get(other, {}).get(rule.metric)
            if ours is None or theirs is None:
                problems.append(f"{rule.corpus} {rule.metric}: pipeline or {other} not measured")
            elif ours < theirs - noise_for(floors.noise, rule.metric):
                problems.append(
                    f"{rule.corpus} {rule.metric}: pipeline {ours:.4f} is behind {LABELS[other]} {theirs:.4f} ({rule.reason})"
                )
    return problems


# -- report -----------------------------------------------------------------------------------------


def _cell(metrics: dict[str, float], *names: str) -> str:
    values = [metrics.get(n) for n in names]
    return " / ".join(f"{v:.3f}" for v in values if v is not None) or "-"


def table(scores: dict[str, CorpusScore]) -> str:
    """The issue's table: one row per corpus and measure, the pipeline beside every bare call."""
    systems = [s for s in (*LABELS,) if any(s in sc.metrics() for sc in scores.values())]
    head = "| corpus | measure | " + " | ".join(LABELS[s] for s in systems) + " |"
    lines = [head, "| " + " | ".join(["---"] * (len(systems) + 2)) + " |"]
    rows = (
        ("main text F1 (P / R / F1)", ("text_precision", "text_recall", "text_f1"), "text_pages"),
        ("title exact / token F1", ("title_exact", "title_f1"), "title_pages"),
        ("date accuracy / precision", ("date_accuracy", "date_precision"), "date_pages"),
    )
    for corpus, sc in scores.items():
        metrics = sc.metrics()
        for label, names, count in rows:
            n = getattr(sc, count)
            if not n:
                continue
            cells = [_cell(metrics.get(s, {}), *names) for s in systems]
            lines.append(f"| {corpus} ({n} pages) | {label} | " + " | ".join(cells) + " |")
        cells = [f"{metrics[s]['seconds']:.1f} s" if "seconds" in metrics.get(s, {}) else "-" for s in systems]
        lines.append(f"| {corpus} | CPU time, summed over pages | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("the pipeline's text came from: " + "; ".join(f"{c} {dict(sc.paths)}" for c, sc in scores.items()))
    return "\n".join(lines)


def largest_losses(results: list[PageResult], corpus: str, n: int = 5) -> list[str]:
    """Pages where the pipeline's text trails bare extract(json) most (for a maintainer to look at)."""
    diffs = [
        (r.text["pipeline"][2] - r.text["extract_json"][2], r.key)
        for r in results
        if r.corpus == corpus and "pipeline" in r.text and "extract_json" in r.text
    ]
    return [f"{k[:16]} {d:+.3f}" for d, k in sorted(diffs)[:n] if d < 0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--corpora", type=Path, default=None, help="folder holding aeb/ and wcxb-dev/ (default ../shared/corpora)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", choices=CORPORA, action="append", help="one corpus (repeatable); skips the checks")
    parser.add_argument("--limit", type=int, default=None, help="first N pages per corpus; skips the checks")
    parser.add_argument("--variants", action="store_true", help="also the pipeline with the HTML comparison never / always")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--pages", type=Path, default=None, help="write every page's scores here (JSON lines), to look at losses")
    args = parser.parse_args(argv)
    base = corpora_dir(args.corpora)
    only = args.only or list(CORPORA)
    try:
        floors = datafile.load(FLOORS, Floors)
        pages = load_pages(base, only)
        audit = audit_clean_text(base) if not args.only else None
    except (CorpusMissing, datafile.DataFileError) as err:
        print(f"bench.quality: {err}", file=sys.stderr)
        print(
            "bench.quality: the quality gate needs every corpus (../shared/corpora or $NEWS_ETL_CORPORA); nothing was checked",
            file=sys.stderr,
        )
        return 2
    if args.limit:
        pages = [p for name in only for p in [q for q in pages if q.corpus == name][: args.limit]]
    start = time.perf_counter()
    scores, results = run(pages, args.workers, args.variants)
    wall = time.perf_counter() - start
    if args.pages is not None:
        with args.pages.open("w", encoding="utf-8") as out:
            for r in results:
                out.write(json.dumps({"corpus": r.corpus, "key": r.key, "text": r.text, "title": r.title, "date": r.date,
                                      "note": r.note, "path": r.path}, ensure_ascii=False) + "\n")
    partial = bool(args.only or args.limit)
    problems = [] if partial else check(scores, floors, audit)
    if args.json:
        report = {corpus: {"pages": sc.pages, "paths": dict(sc.paths), "metrics": sc.metrics()} for corpus, sc in scores.items()}
        print(json.dumps({"corpora": report, "saudinewsnet": audit, "problems": problems, "wall_seconds": round(wall, 1)}, indent=2))
    else:
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"bench.quality: {len(pages)} pages, {args.workers} workers, {wall:.0f} s wall, load average {load}")
        print(table(scores))
        if audit is not None:
            print(
                f"saudinewsnet (clean text): {audit['articles']} articles, lines removed {audit['removed']}, "
                f"false positives {audit['false_positives']}"
            )
        for corpus in scores:
            losses = largest_losses(results, corpus)
            if losses:
                print(f"{corpus}: largest losses against extract(json): {', '.join(losses)}")
    if partial:
        print("bench.quality: partial run (--only/--limit): floors not checked", file=sys.stderr)
        return 0
    for problem in problems:
        print(f"REGRESSION {problem}", file=sys.stderr)
    if problems:
        print(
            f"bench.quality: {len(problems)} regression(s) beyond noise; "
            f"a deliberate change lowers a floor in {FLOORS.name} with its reason",
            file=sys.stderr,
        )
        return 1
    print(f"bench.quality: every floor and comparison in {FLOORS.name} holds")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
