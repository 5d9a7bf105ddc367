"""Facts benchmark: precision/recall of places and figures on hand-labelled sentences, and the
cost of fact extraction next to HTML extraction (trafilatura) per article.

    .venv/bin/python -m bench.facts_bench [--pages N]

Labelled sentences: tests/golden_facts/labelled_sentences*.jsonl (written and labelled by hand
for this project; "dev" was used to improve the rules, "heldout" was not).
Throughput: trafilatura and fact extraction on the same pages: the bundled Arabic samples wrapped
in a minimal page (always), and ../shared/corpora/aeb (real news pages) when it is present; fact
extraction alone on Arabic articles of ../shared/corpora/saudinewsnet when present. A missing
../shared is said and skipped.
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from collections import Counter
from pathlib import Path

from transforms.facts import extract_facts
from transforms.html import extract_html
from transforms.normalize import safe_text, search_form

ROOT = Path(__file__).resolve().parent.parent
# dev: written first, rules were then improved on its misses; heldout: written and labelled after
# the rules were frozen, never used to tune them
LABELLED = {
    "dev": ROOT / "tests" / "golden_facts" / "labelled_sentences.jsonl",
    "heldout": ROOT / "tests" / "golden_facts" / "labelled_sentences_heldout.jsonl",
}
AEB = ROOT.parent / "shared" / "corpora" / "aeb"


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def quality(name: str, path: Path) -> None:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    counts = {"places": [0, 0, 0], "figures": [0, 0, 0]}
    misses: list[str] = []
    for row in rows:
        text = safe_text(row["text"])
        facts = extract_facts(text, search_form(text))
        got: dict[str, Counter[object]] = {
            "places": Counter(m.canonical for m in facts.mentions if m.kind == "place"),
            "figures": Counter((f.kind, f.count_low, f.count_high) for f in facts.figures),
        }
        want: dict[str, Counter[object]] = {
            "places": Counter(row["places"]),
            "figures": Counter((k, lo, hi) for k, lo, hi in row["figures"]),
        }
        for key, acc in counts.items():
            tp = sum((got[key] & want[key]).values())
            acc[0] += tp
            acc[1] += sum(got[key].values()) - tp
            acc[2] += sum(want[key].values()) - tp
            if got[key] != want[key]:
                extra = list((got[key] - want[key]).elements())
                missed = list((want[key] - got[key]).elements())
                misses.append(f"  {key:8} extra={extra} missed={missed} :: {row['text'][:70]}")
    print(f"{name}: {len(rows)} labelled sentences ({path.relative_to(ROOT)})")
    print(f"{'':10}{'tp':>5}{'fp':>5}{'fn':>5}{'precision':>11}{'recall':>8}{'F1':>7}")
    for key, (tp, fp, fn) in counts.items():
        p, r, f = prf(tp, fp, fn)
        print(f"{key:10}{tp:5}{fp:5}{fn:5}{p:11.3f}{r:8.3f}{f:7.3f}")
    if misses:
        print("differences:")
        print("\n".join(misses))


def aeb_pages(limit: int) -> tuple[str, list[str]] | None:
    files = sorted((AEB / "html").glob("*.html.gz"))[:limit] if AEB.exists() else []
    if not files:
        print("../shared/corpora/aeb not found: real-page timing skipped")
        return None
    return f"{len(files)} pages of ../shared/corpora/aeb", [gzip.decompress(p.read_bytes()).decode("utf-8", "replace") for p in files]


def sample_pages() -> tuple[str, list[str]]:
    """The bundled Arabic samples wrapped in a minimal page (x20 for a steadier timing)."""
    out = []
    for p in sorted((ROOT / "samples").glob("*.txt")):
        paras = "".join(f"<p>{line}</p>" for line in p.read_text(encoding="utf-8").splitlines() if line.strip())
        out.append(f"<html><head><title>t</title></head><body><article>{paras}</article></body></html>")
    return f"{len(out)} bundled Arabic samples as HTML, x20", out * 20


def throughput(label: str, docs: list[str]) -> None:
    """Both stages on each page in turn (interleaved, so a busy machine slows both alike)."""
    extract_facts("تهيئة", "تهيئه")  # load the data files once, outside the timing
    t_html = t_facts = 0.0
    n = n_mentions = n_figures = chars = 0
    for html in docs:
        t0 = time.perf_counter()
        ex = extract_html(html)
        t1 = time.perf_counter()
        t_html += t1 - t0
        if ex is None or not ex.text.strip():
            continue
        body = safe_text(ex.text)
        body_search = search_form(body)
        t2 = time.perf_counter()
        facts = extract_facts(body, body_search)
        t_facts += time.perf_counter() - t2
        n += 1
        chars += len(body)
        n_mentions += len(facts.mentions)
        n_figures += len(facts.figures)
    print(f"throughput on {label} ({n} with text, {chars / max(n, 1):.0f} chars/article):")
    print(f"  HTML extraction (trafilatura): {1000 * t_html / len(docs):7.2f} ms/article")
    print(f"  fact extraction (all rules):   {1000 * t_facts / max(n, 1):7.2f} ms/article  ({n_mentions} mentions, {n_figures} figures)")
    print(f"  ratio facts/html: {(t_facts / max(n, 1)) / (t_html / len(docs)):.2f}")


def arabic_text(limit: int) -> None:
    """Fact extraction alone on real Arabic articles (text path), when ../shared is present."""
    corpus = ROOT.parent / "shared" / "corpora" / "saudinewsnet"
    files = sorted(corpus.glob("*.json.gz")) if corpus.exists() else []
    if not files:
        print("../shared/corpora/saudinewsnet not found: Arabic text-path timing skipped")
        return
    docs: list[tuple[str, str]] = []
    for f in files:
        for item in json.loads(gzip.decompress(f.read_bytes())):
            text = safe_text(str(item.get("content") or ""))
            if text:
                docs.append((text, search_form(text)))
            if len(docs) >= limit:
                break
        if len(docs) >= limit:
            break
    t0 = time.perf_counter()
    kinds: Counter[str] = Counter()
    n_figures = 0
    for body, body_search in docs:
        facts = extract_facts(body, body_search)
        kinds.update(m.kind for m in facts.mentions)
        n_figures += len(facts.figures)
    dt = time.perf_counter() - t0
    chars = sum(len(b) for b, _ in docs) / len(docs)
    print(f"Arabic articles of ../shared/corpora/saudinewsnet: {len(docs)} ({chars:.0f} chars/article)")
    print(f"  fact extraction: {1000 * dt / len(docs):7.2f} ms/article; mentions {dict(kinds)}, figures {n_figures}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=100, help="pages for the throughput part")
    args = parser.parse_args()
    for name, path in LABELLED.items():
        quality(name, path)
        print()
    real = aeb_pages(args.pages)
    if real is not None:
        throughput(*real)
    throughput(*sample_pages())
    arabic_text(args.pages * 5)


if __name__ == "__main__":
    main()
