#!/usr/bin/env python3
"""Check the facts label files against the corpus and print their statistics.

    python3 check_labels.py [facts_dev.jsonl facts_heldout.jsonl]

Checks: every record's url is in the corpus (SaudiNewsNet, $SAUDINEWSNET or the default path) and
its source/day_file match; keys and enumerations follow CODEBOOK.md; every surface, variant and
evidence occurs in the article's title or body (after the ال / لل rule of the codebook); numbers
are consistent with the qualifier; breakdown_of points at an earlier figure; no url or body
appears twice within or across the files. Exits non-zero on any problem. Reads the corpus only;
never writes.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import sys
from collections import Counter

CORPUS = os.environ.get("SAUDINEWSNET", "/work/shared/corpora/saudinewsnet")
HERE = os.path.dirname(os.path.abspath(__file__))
GOVS = {
    "Aleppo", "Damascus", "Rif Dimashq", "Homs", "Hama", "Idlib", "Latakia", "Tartus", "Daraa",
    "As-Suwayda", "Quneitra", "Deir ez-Zor", "Ar-Raqqah", "Al-Hasakah", None,
}
PLACE_KINDS = {"governorate", "district", "city", "town", "village", "neighbourhood", "site",
               "region", "country"}
FIG_KINDS = {"killed", "injured", "arrested", "detained", "kidnapped", "held"}
QUALS = {"exact", "about", "at_least", "more_than", "range", "vague"}
REC_KEYS = {"url", "source", "day_file", "title", "places", "people", "orgs", "figures", "notes"}
PLACE_KEYS = {"surface", "name_en", "kind", "governorate", "variants", "note"}
NAME_KEYS = {"surface", "name_en", "variants", "note"}
FIG_KEYS = {"kind", "count_low", "count_high", "qualifier", "evidence", "breakdown_of", "note"}


def load_corpus() -> dict[str, dict]:
    arts: dict[str, dict] = {}
    for f in sorted(os.listdir(CORPUS)):
        if f.endswith(".json.gz"):
            with gzip.open(os.path.join(CORPUS, f), "rt", encoding="utf-8") as fh:
                for a in json.load(fh):
                    a["day_file"] = f[:10]
                    arts.setdefault(a["url"], a)
    return arts


def occurs(s: str, text: str) -> bool:
    return s in text or (s.startswith("ال") and ("ل" + s[1:]) in text)


def main(paths: list[str]) -> int:
    corpus = load_corpus()
    problems: list[str] = []
    seen_urls: set[str] = set()
    seen_bodies: set[str] = set()
    for path in paths:
        per_outlet: Counter[str] = Counter()
        kinds: Counter[str] = Counter()
        n_with_fig = 0
        counts = Counter()
        with open(path, encoding="utf-8") as fh:
            records = [json.loads(line) for line in fh if line.strip()]
        for r in records:
            url = r.get("url", "")
            where = f"{os.path.basename(path)}: {url[:80]}"
            if set(r) - REC_KEYS:
                problems.append(f"{where}: unknown keys {set(r) - REC_KEYS}")
            art = corpus.get(url)
            if art is None:
                problems.append(f"{where}: url not in corpus")
                continue
            if art["source"] != r["source"] or art["day_file"] != r["day_file"]:
                problems.append(f"{where}: source/day_file mismatch")
            digest = hashlib.sha1((art["content"] or "").encode()).hexdigest()
            if url in seen_urls or digest in seen_bodies:
                problems.append(f"{where}: duplicate article")
            seen_urls.add(url)
            seen_bodies.add(digest)
            text = (art["title"] or "") + "\n" + (art["content"] or "")
            per_outlet[r["source"]] += 1
            for p in r["places"]:
                if set(p) - PLACE_KEYS or p["kind"] not in PLACE_KINDS or p["governorate"] not in GOVS:
                    problems.append(f"{where}: bad place {p}")
                for s in [p["surface"], *p.get("variants", [])]:
                    if not occurs(s, text):
                        problems.append(f"{where}: place surface not in text: {s}")
            for key in ("people", "orgs"):
                for it in r[key]:
                    if set(it) - NAME_KEYS:
                        problems.append(f"{where}: bad {key} item {it}")
                    for s in [it["surface"], *it.get("variants", [])]:
                        if not occurs(s, text):
                            problems.append(f"{where}: {key} surface not in text: {s}")
            for i, f in enumerate(r["figures"]):
                lo, hi, q = f["count_low"], f["count_high"], f["qualifier"]
                ok = (
                    not set(f) - FIG_KEYS
                    and f["kind"] in FIG_KINDS
                    and q in QUALS
                    and isinstance(lo, int)
                    and (hi is None or isinstance(hi, int))
                    and (q not in ("exact", "about") or hi == lo)
                    and (q not in ("at_least", "more_than") or hi is None)
                    and (q != "range" or (hi is not None and hi > lo))
                    and (f["breakdown_of"] is None or 0 <= f["breakdown_of"] < len(r["figures"]))
                    and f["breakdown_of"] != i
                    and len(f["evidence"].split()) <= 15
                )
                if not ok:
                    problems.append(f"{where}: bad figure {f}")
                if not occurs(f["evidence"], text):
                    problems.append(f"{where}: evidence not in text: {f['evidence']}")
                kinds[f["kind"]] += 1
            n_with_fig += bool(r["figures"])
            counts["places"] += len(r["places"])
            counts["people"] += len(r["people"])
            counts["orgs"] += len(r["orgs"])
            counts["figures"] += len(r["figures"])
            counts["breakdowns"] += sum(f["breakdown_of"] is not None for f in r["figures"])
            counts["cumulative"] += sum("cumulative" in f.get("note", "") for f in r["figures"])
            counts["outside_syria"] += sum("outside Syria" in f.get("note", "") for f in r["figures"])
        print(f"{os.path.basename(path)}: {len(records)} articles, {len(per_outlet)} outlets, "
              f"{n_with_fig} with at least one figure")
        print("  per outlet:", dict(sorted(per_outlet.items())))
        print("  items:", dict(counts))
        print("  figures per kind:", dict(sorted(kinds.items())))
    for p in problems:
        print("PROBLEM", p)
    print("OK" if not problems else f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    args = sys.argv[1:] or [os.path.join(HERE, "facts_dev.jsonl"), os.path.join(HERE, "facts_heldout.jsonl")]
    sys.exit(main(args))
