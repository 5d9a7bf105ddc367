"""Events benchmark: how well event resolution groups the reports of one incident, on blind-labelled
SaudiNewsNet articles (bench/labels/events/: event clusters and near misses, README and CODEBOOK).

    .venv/bin/python -m bench.events_bench [--set dev|heldout|both] [--verbose]
    .venv/bin/python -m bench.facts_bench --events ...      # the same

Every labelled URL (clusters and near misses) is read from ../shared/corpora/saudinewsnet (texts
are never copied into the project), goes through the pipeline's own transform as a jsonl line
(title, text, source and a publication day: the date in the URL where the outlet puts one, okaz
`/Issues/YYYYMMDD/`, al-jazirah `/2015/YYYYMMDD/`, aleqt `/2015/MM/DD/`, else the corpus's
`date_extracted`), and then through event resolution (transforms.events.reports_of and resolve),
all articles at once, as the writer resolves a lake.

Split: an incident is in the development part when sha256("events-split:" + incident id) taken as
a number is below 60 % of the range (29 of 47 incidents), otherwise in the held-out part (18).
Rules are tuned on the development part only; the held-out part prints aggregates only.

Scores, per part (an article belongs to a part when it reports an incident of that part, or when
it is the other side of a near miss of that part):
- pairwise precision / recall / F1 over article pairs of the part: a pair is positive when the two
  articles share an incident of the part, predicted positive when they share an event; pairs that
  share only an incident of the other part are left out;
- per-incident F1: for each incident, the F1 of its articles against the best-matching event's
  labelled articles, averaged over incidents (macro; the large clusters do not decide it alone);
- near misses merged (pairs labelled as different incidents that share an event);
- false pairs across governorates or days: predicted pairs of articles that share no incident and
  whose labelled incidents all lie in other governorates, or all more than two days apart (the
  shared event is then about something else both articles report, or misplaced; an event itself
  never spans two governorates or more than two days: the data tests check every run).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from itertools import combinations
from pathlib import Path
from typing import Any

from bench.common import corpus
from collect.inputs import jsonl_record
from transforms.events import ArticleInput, Report, reports_of, resolve
from transforms.pipeline import transform_document
from transforms.records import RawDocument

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "bench" / "labels" / "events"
DEV_SHARE = 60  # percent of incidents in the development part


def part_of(incident: str) -> str:
    n = int(hashlib.sha256(f"events-split:{incident}".encode()).hexdigest()[:8], 16)
    return "dev" if n % 100 < DEV_SHARE else "heldout"


_URL_DATES = (
    re.compile(r"/Issues/(\d{4})(\d\d)(\d\d)/"),  # okaz
    re.compile(r"al-jazirah\.com/\d{4}/(\d{4})(\d\d)(\d\d)/"),
    re.compile(r"aleqt\.com/(\d{4})/(\d\d)/(\d\d)/"),
)


def publication_day(url: str, date_extracted: str) -> str:
    for pattern in _URL_DATES:
        m = pattern.search(url)
        if m:
            return f"{m[1]}-{m[2]}-{m[3]}"
    return date_extracted[:10]


@dataclass
class Labels:
    incidents: dict[str, dict[str, Any]]
    gold: dict[str, set[str]]  # url -> incidents
    near: list[dict[str, Any]]
    urls: set[str]
    part_urls: dict[str, set[str]] = field(default_factory=dict)


def load_labels(folder: Path = LABELS) -> Labels:
    clusters = [json.loads(x) for x in (folder / "event_clusters.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    near = [json.loads(x) for x in (folder / "near_misses.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    incidents = {c["incident"]: c for c in clusters}
    gold: dict[str, set[str]] = defaultdict(set)
    for c in clusters:
        for rep in c["reports"]:
            gold[rep["url"]].add(c["incident"])
    urls = set(gold) | {n["url_a"] for n in near} | {n["url_b"] for n in near}
    labels = Labels(incidents, dict(gold), near, urls)
    for part in ("dev", "heldout"):
        mine = {u for u, incs in gold.items() if any(part_of(i) == part for i in incs)}
        for n in near:
            side = n.get("incident_a") or n.get("incident_b")
            if side is not None and part_of(side) == part:
                mine |= {n["url_a"], n["url_b"]}
        labels.part_urls[part] = mine
    return labels


def corpus_items(root: Path, urls: set[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(root.glob("*.json.gz")):
        for item in json.loads(gzip.decompress(path.read_bytes())):
            if item.get("url") in urls and item["url"] not in out:
                out[str(item["url"])] = item
    return out


def articles(items: dict[str, dict[str, Any]]) -> tuple[list[ArticleInput], dict[str, str]]:
    """The labelled articles through the pipeline's transform; article_id -> url."""
    out: list[ArticleInput] = []
    url_of: dict[str, str] = {}
    for url, item in sorted(items.items()):
        record = {
            "url": url, "title": item.get("title"), "text": item.get("content", ""), "source_id": item.get("source"),
            "published_at": publication_day(url, str(item.get("date_extracted", ""))),
        }
        raw = jsonl_record(record, url)
        if not isinstance(raw, RawDocument):
            continue
        result = transform_document(raw)
        a = result.article
        if a is None:
            continue
        url_of[a.article_id] = url
        out.append(ArticleInput(a.article_id, a.source_id, a.published_at, a.body, a.body_search, result.mentions, result.figures))
    return out, url_of


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


@dataclass
class PartScore:
    part: str
    incidents: int
    articles: int
    tp: int = 0
    fp: int = 0
    fn: int = 0
    per_incident: dict[str, float] = field(default_factory=dict)
    near_total: int = 0
    near_merged: dict[str, int] = field(default_factory=dict)
    breaches_gov: int = 0
    breaches_days: int = 0
    covered: int = 0  # labelled reports (article x incident) whose article has an event in the incident's governorate
    report_rows: int = 0
    fp_pairs: list[tuple[str, str]] = field(default_factory=list)
    fn_pairs: list[tuple[str, str, str]] = field(default_factory=list)


def _gov_days(labels: Labels, url: str) -> list[tuple[str, date]]:
    return [(labels.incidents[i]["governorate"], date.fromisoformat(labels.incidents[i]["date"])) for i in labels.gold.get(url, ())]


def score(labels: Labels, predicted: dict[str, set[str]], event_govs: dict[str, str | None], part: str) -> PartScore:
    urls = sorted(labels.part_urls[part])
    mine = {i for i in labels.incidents if part_of(i) == part}
    out = PartScore(part, len(mine), len(urls))
    for a, b in combinations(urls, 2):
        ga, gb = labels.gold.get(a, set()), labels.gold.get(b, set())
        shared = ga & gb
        if shared and not (shared & mine):
            continue  # they share only an incident of the other part
        gold_pos = bool(shared)
        pred_pos = bool(predicted.get(a, set()) & predicted.get(b, set()))
        if gold_pos and pred_pos:
            out.tp += 1
        elif pred_pos:
            out.fp += 1
            out.fp_pairs.append((a, b))
            if ga and gb:
                da, db = _gov_days(labels, a), _gov_days(labels, b)
                if all(x[0] != y[0] for x in da for y in db):
                    out.breaches_gov += 1
                elif all(abs((x[1] - y[1]).days) > 2 for x in da for y in db):
                    out.breaches_days += 1
        elif gold_pos:
            out.fn += 1
            out.fn_pairs.append((a, b, sorted(shared & mine)[0]))
    events_of: dict[str, set[str]] = defaultdict(set)
    for url in urls:
        for e in predicted.get(url, ()):
            events_of[e].add(url)
    for inc in sorted(mine):
        members = {r["url"] for r in labels.incidents[inc]["reports"]}
        best = 0.0
        for e_urls in events_of.values():
            inter = len(members & e_urls)
            if inter:
                best = max(best, 2 * inter / (len(members) + len(e_urls)))
        out.per_incident[inc] = best
        gov = labels.incidents[inc]["governorate"]
        for url in members:
            out.report_rows += 1
            out.covered += any(event_govs.get(e) == gov for e in predicted.get(url, ()))
    for n in labels.near:
        side = n.get("incident_a") or n.get("incident_b")
        if side is None or part_of(side) != part:
            continue
        out.near_total += 1
        if predicted.get(n["url_a"], set()) & predicted.get(n["url_b"], set()):
            out.near_merged[n["why"]] = out.near_merged.get(n["why"], 0) + 1
    return out


def print_part(
    s: PartScore, *, detail: bool, labels: Labels, reports_of_url: dict[str, list[Report]], predicted: dict[str, set[str]]
) -> None:
    p, r, f = prf(s.tp, s.fp, s.fn)
    macro = sum(s.per_incident.values()) / max(len(s.per_incident), 1)
    name = "development" if s.part == "dev" else "held-out"
    print(f"\n{name} part: {s.incidents} incidents, {s.articles} articles")
    print(f"  pairwise        precision {p:.3f}  recall {r:.3f}  F1 {f:.3f}   (tp {s.tp}, fp {s.fp}, fn {s.fn})")
    print(f"  per-incident F1 {macro:.3f} (macro average over {len(s.per_incident)} incidents)")
    print(f"  reports with an event in the incident's governorate: {s.covered} of {s.report_rows}")
    merged = sum(s.near_merged.values())
    print(f"  near misses merged: {merged} of {s.near_total} {dict(sorted(s.near_merged.items()))}")
    print(f"  false pairs whose labelled incidents all lie in another governorate: {s.breaches_gov}; "
          f"all more than two days apart: {s.breaches_days}")
    if not detail:
        return
    print("  per incident (F1 of its best event):")
    for inc, f1 in sorted(s.per_incident.items(), key=lambda kv: kv[1]):
        print(f"    {f1:.2f} {inc}")
    print("  false pairs (not the same incident, one event):")
    for a, b in s.fp_pairs[:60]:
        shared = predicted.get(a, set()) & predicted.get(b, set())
        print(f"    {sorted(labels.gold.get(a, {'-'}))} / {sorted(labels.gold.get(b, {'-'}))} via {sorted(shared)[:2]}")
        print(f"      {a}\n      {b}")
    print("  missed pairs (one incident, no shared event), first 60:")
    for a, b, inc in s.fn_pairs[:60]:
        print(f"    {inc}: {a} ({len(reports_of_url.get(a, []))} reports) / {b} ({len(reports_of_url.get(b, []))} reports)")


def run(which: str, verbose: bool, folder: Path = LABELS) -> int:
    root = corpus("saudinewsnet")
    if root is None:
        print("skipped: ../shared/corpora/saudinewsnet not found (the labels hold URLs; the texts live there)")
        return 0
    labels = load_labels(folder)
    items = corpus_items(root, labels.urls)
    t0 = time.perf_counter()
    arts, url_of = articles(items)
    t1 = time.perf_counter()
    reports = [rep for a in arts for rep in reports_of(a)]
    t2 = time.perf_counter()
    resolution = resolve(reports)
    t3 = time.perf_counter()
    predicted: dict[str, set[str]] = defaultdict(set)
    reports_of_url: dict[str, list[Report]] = defaultdict(list)
    for rep in reports:
        url = url_of[rep.article_id]
        reports_of_url[url].append(rep)
        if rep.key in resolution.links:  # a report placed in no Syrian governorate makes no event
            predicted[url].add(resolution.links[rep.key])
    event_govs = {e.event_id: e.admin1 for e in resolution.events}
    print(f"events benchmark: {len(labels.urls)} labelled URLs ({len(items)} found in ../shared/corpora/saudinewsnet, "
          f"{len(arts)} articles after the transform), {len(labels.incidents)} incidents, {len(labels.near)} near-miss pairs")
    print(f"  {len(reports)} reports -> {len(resolution.events)} events "
          f"({sum(1 for e in resolution.events if e.reports > 1)} with 2+ articles)")
    print(f"  time: transform {t1 - t0:.2f} s, reports {1000 * (t2 - t1) / max(len(arts), 1):.2f} ms/article, "
          f"resolution {t3 - t2:.2f} s (shared machine)")
    parts = ["dev", "heldout"] if which == "both" else [which]
    for part in parts:
        s = score(labels, predicted, event_govs, part)
        print_part(s, detail=verbose and part == "dev", labels=labels, reports_of_url=reports_of_url, predicted=predicted)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", dest="which", choices=["dev", "heldout", "both"], default="dev",
                        help="part to score (heldout: aggregates only)")
    parser.add_argument("--labels", type=Path, default=LABELS, help="folder of event_clusters.jsonl / near_misses.jsonl")
    parser.add_argument("--verbose", action="store_true", help="dev only: every incident, false and missed pairs")
    args = parser.parse_args(argv)
    return run(args.which, args.verbose, args.labels)


if __name__ == "__main__":
    raise SystemExit(main())
