"""Measure the near-duplicate threshold on SaudiNewsNet (../shared/corpora/saudinewsnet).

    .venv/bin/python bench/neardup_threshold.py [--limit N] [--corpus DIR]

For every article: body_search as the pipeline makes it, its word-3-shingle set and MinHash
signature (transforms/neardup.py). Candidate pairs come from a permissive LSH (64 bands x 2 rows,
catching pairs down to Jaccard ~0.15); for each candidate the exact Jaccard of the shingle sets
is computed. Without labels, two proxies:

* same story (positive): two different bodies with the same normalised title, published within
  3 days (a republication or an edited copy);
* different stories (negative): candidate pairs published more than 30 days apart.

It prints the Jaccard histogram of candidate pairs, and for each threshold the recall on the
positives, the false positives among the negatives, and how many articles get clustered, plus
the recall of the production LSH banding (transforms.neardup.BANDS x ROWS) at the threshold.
Skips cleanly when the corpus is absent.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import itertools
import json
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from transforms import neardup
from transforms.identity import content_hash
from transforms.normalize import safe_text, search_form

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "saudinewsnet"
THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


@dataclass(frozen=True, slots=True)
class Doc:
    title: str
    when: datetime | None
    body: str
    source: str


def days_apart(a: Doc, b: Doc) -> int | None:
    return abs((a.when - b.when).days) if a.when and b.when else None


def read_corpus(folder: Path, limit: int) -> list[dict[str, str]]:
    """An evenly spaced sample of `limit` records over the whole corpus (all dates, all sources)."""
    out: list[dict[str, str]] = []
    for path in sorted(folder.glob("*.json.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            out.extend(json.load(fh))
    step = max(1, len(out) // max(limit, 1))
    return out[::step][:limit]


def permissive_buckets(sig: neardup.Signature, bands: int = 64) -> list[tuple[int, bytes]]:
    rows = len(sig) // bands
    return [
        (b, hashlib.blake2b(repr(sig[b * rows : (b + 1) * rows]).encode(), digest_size=8).digest()) for b in range(bands)
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=8000, help="articles to sample (default 8000)")
    parser.add_argument("--show", type=int, default=0, help="print N example pairs per Jaccard band")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"skipped: no corpus at {args.corpus}")
        return 0
    started = time.monotonic()
    records = read_corpus(args.corpus, args.limit)
    docs: list[Doc] = []
    seen_hashes: dict[str, int] = {}
    exact = 0
    for rec in records:
        body = search_form(safe_text(rec.get("content") or ""))
        if len(body) < 200:
            continue
        h = content_hash(body)
        if h in seen_hashes:
            exact += 1
            continue
        seen_hashes[h] = len(docs)
        try:
            when = datetime.fromisoformat(rec.get("date_extracted", "")[:19])
        except ValueError:
            when = None
        docs.append(Doc(search_form(safe_text(rec.get("title") or "")), when, body, str(rec.get("source"))))
    t_read = time.monotonic() - started

    t0 = time.monotonic()
    shingle_sets = [neardup.shingles(d.body) for d in docs]
    sigs = [neardup.signature(d.body) for d in docs]
    t_sig = time.monotonic() - t0

    buckets: dict[tuple[int, bytes], list[int]] = defaultdict(list)
    for i, sig in enumerate(sigs):
        for key in permissive_buckets(sig):
            buckets[key].append(i)
    candidates: set[tuple[int, int]] = set()
    for ids in buckets.values():
        if len(ids) > 200:  # boilerplate-only bodies; not stories
            continue
        candidates.update(itertools.combinations(ids, 2))
    # same-title pairs are positives even when LSH did not propose them
    by_title: dict[str, list[int]] = defaultdict(list)
    for i, d in enumerate(docs):
        if len(d.title) >= 15:
            by_title[d.title].append(i)
    positives = set()
    for ids in by_title.values():
        for a, b in itertools.combinations(ids, 2):
            apart = days_apart(docs[a], docs[b])
            if apart is not None and apart <= 3:
                positives.add((a, b))

    def jaccard(a: int, b: int) -> float:
        sa, sb = shingle_sets[a], shingle_sets[b]
        return len(sa & sb) / len(sa | sb) if sa and sb else 0.0

    cand_j = {p: jaccard(*p) for p in candidates}
    pos_j = {p: cand_j.get(p, jaccard(*p)) for p in positives}
    negatives = {p for p in candidates if (days_apart(docs[p[0]], docs[p[1]]) or 0) > 30}

    print(f"corpus: {args.corpus} ({len(records)} records read, {len(docs)} distinct bodies >= 200 chars, "
          f"{exact} exact duplicates by content_hash)")
    print(f"time: read+normalise {t_read:.1f}s, shingles+MinHash {t_sig:.1f}s ({1000 * t_sig / max(len(docs), 1):.2f} ms/article)")
    print(f"candidate pairs (64x2 LSH): {len(candidates)}; same-title positives: {len(positives)}; "
          f"far-apart negatives among candidates: {len(negatives)}")
    print("\nJaccard histogram of candidate pairs:")
    for lo in [x / 10 for x in range(10)]:
        n = sum(1 for j in cand_j.values() if lo <= j < lo + 0.1 or (lo == 0.9 and j == 1.0))
        print(f"  {lo:.1f}-{lo + 0.1:.1f}  {n}")
    if args.show:
        for lo in [x / 10 for x in range(2, 10)]:
            pairs = sorted(p for p, j in cand_j.items() if lo <= j < lo + 0.1)[: args.show]
            for a, b in pairs:
                print(f"  J={cand_j[(a, b)]:.2f} {docs[a].source}: {docs[a].title[:60]} | {docs[b].source}: {docs[b].title[:60]}")
    header = ("threshold", "recall(pos)", "false pos(neg)", "pairs>=t", "articles clustered", "prod LSH recall")
    print("\n" + "  ".join(f"{h:>{w}}" for h, w in zip(header, (9, 11, 14, 8, 18, 15), strict=True)))
    for t in THRESHOLDS:
        recall = sum(1 for j in pos_j.values() if j >= t) / max(len(pos_j), 1)
        fp = sum(1 for p in negatives if cand_j[p] >= t)
        true_pairs = [p for p, j in cand_j.items() if j >= t]
        clustered = len({i for p in true_pairs for i in p})
        prod_hits = sum(
            1 for a, b in true_pairs
            if set(neardup.band_buckets(sigs[a])) & set(neardup.band_buckets(sigs[b]))
        )
        print(f"{t:>9.1f}  {recall:>11.3f}  {fp:>14d}  {len(true_pairs):>8d}  {clustered:>18d}  "
              f"{prod_hits / max(len(true_pairs), 1):>15.3f}")
    print(f"\nproduction setting: THRESHOLD={neardup.THRESHOLD}, {neardup.BANDS} bands x {neardup.ROWS} rows, "
          f"{neardup.SHINGLE_WORDS}-word shingles; total {time.monotonic() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
