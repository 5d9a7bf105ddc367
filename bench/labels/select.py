#!/usr/bin/env python3
"""Pick the articles of the facts development set and held-out set from SaudiNewsNet.

Fixed, rerunnable procedure (no randomness that is not seeded):

1. Read every day file of the corpus in date order (articles in file order).
2. Keyword pre-filter "about Syria": the title names Syria or a Syrian place/actor from SYRIA_TERMS
   and the body has at least 2 such terms, or the first 300 characters of the body have one and the
   body has at least 4. Body length between MIN_LEN and MAX_LEN characters (very long op-eds and
   multi-topic round-ups are left out so that every label can be checked by hand).
3. Duplicates: an article whose url was already seen, whose normalised body equals an earlier one,
   or whose word 5-shingles overlap an earlier candidate's by >= 0.5 of the smaller set (one text
   mostly contained in the other, e.g. a short and a long version of one wire story), is dropped
   (the earliest in corpus order is kept).
4. Strata: F = the body has a casualty/arrest trigger with a number (digits or number word) within
   60 characters; G = the rest. Each outlet's F and G lists are shuffled with random.Random(SEED
   + outlet) and interleaved F, F, G, F, F, G, ... (two thirds from F while both last).
5. Manual screening, in that order, recorded in screening.tsv (url, accept|reject, reason): an
   article is accepted when it is mainly about Syria (the war, its actors, places, casualties,
   arrests, refugees inside Syria), rejected when Syria is only mentioned in passing (Gulf or Iraq
   or Yemen news, Saudi court cases, diplomacy round-ups where Syria is one item among many, pure
   opinion columns with no reported events). The first DEV_QUOTA[outlet] accepted articles of an
   outlet go to the development set, the next HELDOUT_QUOTA[outlet] to the held-out set, skipping
   any held-out candidate whose 5-shingles overlap a dev article's by >= LEAK (0.3) of the smaller
   set (the same wire story retold by another outlet), so that nothing tuned on dev leaks into
   the held-out set.

Usage:
    python3 select.py --next OUTLET [N]   # print the next N unscreened candidates of an outlet
    python3 select.py                     # write selection.json (dev / heldout url lists) and stats
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import random
import re
import sys
from collections import Counter

CORPUS = os.environ.get("SAUDINEWSNET", "/work/shared/corpora/saudinewsnet")
HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20150721
MIN_LEN, MAX_LEN = 300, 8000
LEAK = 0.3

SYRIA_TERMS = [
    "سوريا", "سورية", "السوري", "دمشق", "حلب", "حمص", "حماة", "حماه", "إدلب", "ادلب", "درعا",
    "الرقة", "دير الزور", "الحسكة", "اللاذقية", "طرطوس", "القنيطرة", "السويداء", "بشار", "الأسد",
    "الزبداني", "القلمون", "الغوطة", "النصرة", "جيش الفتح", "الجيش الحر", "تدمر", "كوباني",
    "عين العرب", "القامشلي", "جسر الشغور",
]
TRIGGER = re.compile(
    r"(قتل|مقتل|قتلى|جرحى|إصابة|اعتقال|اعتقل|اختطاف|خطف|مصرع|احتجاز|القبض)"
)
NUMBER = re.compile(
    r"[0-9٠-٩]+|عشرات|مئات|ثلاثة|أربعة|خمسة|ستة|سبعة|ثمانية|تسعة|عشرة|عشرين|ثلاثين|أربعين|خمسين"
)

DEV_QUOTA = {
    "aawsat": 24, "alriyadh": 10, "alyaum": 10, "aljazirah": 8, "alwatan": 8, "okaz": 7,
    "aleqtisadiya": 6, "almadina": 6, "alweeam": 6, "3alyoum": 5, "sabq": 0, "was": 0,
}
HELDOUT_QUOTA = {
    "aawsat": 12, "alriyadh": 5, "alyaum": 5, "aljazirah": 4, "alwatan": 4, "okaz": 3,
    "aleqtisadiya": 3, "almadina": 3, "alweeam": 3, "3alyoum": 3, "sabq": 0, "was": 0,
}


def norm(text: str) -> str:
    text = re.sub(r"[\u064b-\u0652\u0640]", "", text)
    text = re.sub(r"[إأآ]", "ا", text).replace("ة", "ه").replace("ى", "ي")
    return re.sub(r"\s+", " ", text).strip()


def shingles(text: str) -> set[str]:
    words = norm(text).split()
    return {" ".join(words[i : i + 5]) for i in range(max(1, len(words) - 4))}


def syria_ok(title: str, body: str) -> bool:
    n_body = sum(body.count(k) for k in SYRIA_TERMS)
    n_title = sum(title.count(k) for k in SYRIA_TERMS)
    n_lead = sum(body[:300].count(k) for k in SYRIA_TERMS)
    return (n_title > 0 and n_body >= 2) or (n_lead > 0 and n_body >= 4)


def has_figure_cue(body: str) -> bool:
    return any(
        NUMBER.search(body[max(0, m.start() - 60) : m.end() + 60]) for m in TRIGGER.finditer(body)
    )


def load_candidates() -> list[dict]:
    days = sorted(f for f in os.listdir(CORPUS) if f.endswith(".json.gz"))
    seen_urls: set[str] = set()
    seen_hash: set[str] = set()
    kept: list[dict] = []
    kept_sh: list[set[str]] = []
    for day_file in days:
        with gzip.open(os.path.join(CORPUS, day_file), "rt", encoding="utf-8") as fh:
            articles = json.load(fh)
        for art in articles:
            body = art.get("content") or ""
            title = art.get("title") or ""
            url = art.get("url") or ""
            if not (MIN_LEN <= len(body) <= MAX_LEN) or not syria_ok(title, body):
                continue
            digest = hashlib.sha1(norm(body).encode()).hexdigest()
            if url in seen_urls or digest in seen_hash:
                continue
            sh = shingles(body)
            if any(len(sh & o) / max(1, min(len(sh), len(o))) >= 0.5 for o in kept_sh):
                continue
            seen_urls.add(url)
            seen_hash.add(digest)
            kept_sh.append(sh)
            kept.append(
                {
                    "url": url,
                    "source": art["source"],
                    "day_file": day_file[:10],
                    "title": title,
                    "body": body,
                    "stratum": "F" if has_figure_cue(body) else "G",
                }
            )
    return kept


def ordered_by_outlet(cands: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for outlet in sorted({c["source"] for c in cands}):
        rng = random.Random(f"{SEED}-{outlet}")
        f = [c for c in cands if c["source"] == outlet and c["stratum"] == "F"]
        g = [c for c in cands if c["source"] == outlet and c["stratum"] == "G"]
        rng.shuffle(f)
        rng.shuffle(g)
        order: list[dict] = []
        i = 0
        while f or g:
            take_f = (i % 3 != 2 and f) or not g
            order.append(f.pop(0) if take_f else g.pop(0))
            i += 1
        out[outlet] = order
    return out


def read_screening() -> dict[str, tuple[str, str]]:
    path = os.path.join(HERE, "screening.tsv")
    res: dict[str, tuple[str, str]] = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if not line.strip() or line.startswith("#"):
                    continue
                url, decision, reason = (line.rstrip("\n").split("\t") + ["", ""])[:3]
                if decision not in ("accept", "reject"):
                    sys.exit(f"screening.tsv: bad decision {decision!r} for {url}")
                res[url] = (decision, reason)
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--next", nargs="+", metavar=("OUTLET", "N"))
    args = ap.parse_args()
    order = ordered_by_outlet(load_candidates())
    screening = read_screening()
    if args.next:
        outlet = args.next[0]
        n = int(args.next[1]) if len(args.next) > 1 else 5
        accepted = sum(1 for c in order[outlet] if screening.get(c["url"], ("",))[0] == "accept")
        print(f"# {outlet}: {accepted} accepted so far (run without --next to see what is missing)")
        shown = 0
        for c in order[outlet]:
            if c["url"] in screening:
                continue
            if shown >= n:
                break
            print("=" * 100)
            print(c["url"], c["day_file"], c["stratum"], len(c["body"]))
            print("TITLE:", c["title"])
            print(c["body"])
            shown += 1
        return
    dev: list[dict] = []
    for outlet, cands in order.items():
        acc = [c for c in cands if screening.get(c["url"], ("",))[0] == "accept"]
        dev += acc[: DEV_QUOTA.get(outlet, 0)]
    # No leak from dev to held-out: a held-out article that shares >= LEAK of its 5-shingles with
    # any dev article (the same wire story retold by another outlet) is replaced by the outlet's
    # next accepted candidate.
    dev_sh = [shingles(c["body"]) for c in dev]
    held_final: list[dict] = []
    for outlet, cands in order.items():
        acc = [c for c in cands if screening.get(c["url"], ("",))[0] == "accept"]
        nd, nh = DEV_QUOTA.get(outlet, 0), HELDOUT_QUOTA.get(outlet, 0)
        picked = []
        for c in acc[nd:]:
            if len(picked) == nh:
                break
            sh = shingles(c["body"])
            if any(len(sh & d) / max(1, min(len(sh), len(d))) >= LEAK for d in dev_sh):
                continue
            picked.append(c)
        if len(picked) < nh:
            print(f"warning: {outlet} has {len(picked)} held-out articles, needs {nh}", file=sys.stderr)
        held_final += picked
    held = held_final
    sel = {
        "dev": [{k: c[k] for k in ("url", "source", "day_file")} for c in dev],
        "heldout": [{k: c[k] for k in ("url", "source", "day_file")} for c in held],
    }
    with open(os.path.join(HERE, "selection.json"), "w", encoding="utf-8") as fh:
        json.dump(sel, fh, ensure_ascii=False, indent=1)
    for name, items in sel.items():
        print(name, len(items), dict(Counter(i["source"] for i in items)))


if __name__ == "__main__":
    main()
