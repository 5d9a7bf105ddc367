"""Scoring extracted facts against labelled articles (the matching rules of docs/facts.md).

Pure: labels (as in bench/labels/facts_*.jsonl) and the pipeline's mentions/figures in, counts out.

* Places match by canonical place: a labelled place is found when a predicted place has one of its
  Arabic forms (surface, variants) among the predicted place's forms (its surfaces in the article,
  `canonical_ar`), compared loosely (see `loose`), or the same English name, or, in a second pass,
  one form's words stand in the other's ("مطار التيفور" / "مطار التيفور العسكري"); when both
  name a governorate, it must be the same one.
* People and organisations match by normalised surface: search form, leading clitics off, ال and
  hamza seats ignored (`loose`), or the same consonant skeleton, or one form's words standing in
  the other's in order (`الأسد` in `بشار الأسد`, `المرصد السوري` in `المرصد السوري لحقوق الإنسان`).
* Figures match by kind, count_low and count_high. A count repeated in one article counts once
  (labels list each distinct count once): an unmatched repeat is not a false positive. A matched
  breakdown (`breakdown_of`) is linked right when the predicted figure's `of_figure` is the figure
  matched to the labelled total.

Each side is one-to-one: a predicted entity or figure matches at most one label; exact matches
are paired before partial ones. For entities a second score is given "by surface": a label is
found when any predicted entity matches it, and a predicted entity is right when it matches any
label (the labels and the pipeline do not always merge the same names into one entity: the
White House and the US administration, a city and its countryside).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from transforms.normalize import search_form

ENTITY_KINDS = ("places", "people", "orgs")
FIGURE_KINDS = ("killed", "injured", "arrested", "detained", "kidnapped", "held")
_MENTION_KIND = {"places": "place", "people": "person", "orgs": "org"}
_PUNCT = re.compile(r"[\"'«»“”‘’()\[\]{}<>.,،:;!?؟\-–—_/]+")
_HAMZA = str.maketrans({"ؤ": "و", "ئ": "ي", "ء": None, "ـ": None})
_LONG = str.maketrans("", "", "اوي")


def words(text: str) -> list[str]:
    """Search-form words, punctuation off, the leading proclitics of the first word off
    (و ف ب ل ك, لل -> ال), as a label's surface is written."""
    out = [w for w in _PUNCT.sub(" ", search_form(text)).split() if w]
    if out:
        out[0] = strip_clitics(out[0])
    return [w for w in out if w]


def strip_clitics(word: str) -> str:
    w = word
    if len(w) > 3 and w[0] in "وف":
        w = w[1:]
    if w.startswith("لل") and len(w) > 3:
        return "ال" + w[2:]
    if len(w) > 3 and w[0] in "بلك" and w[1:].startswith("ال"):
        return w[1:]
    return w


def loose(text: str) -> str:
    """Spelling-tolerant key: words without ال, hamza seats unified, no spaces."""
    out = []
    for word in words(text):
        w = word.translate(_HAMZA)
        out.append(w[2:] if w.startswith("ال") and len(w) > 3 else w)
    return "".join(out)


def skeleton(text: str) -> str:
    """Consonant skeleton of the loose key (long vowels off after the first letter)."""
    k = loose(text)
    return k[:1] + k[1:].translate(_LONG)


def _contains(a: list[str], b: list[str]) -> bool:
    """Words of b stand in a, in order and next to each other (compared loosely)."""
    if not b or len(b) > len(a):
        return False
    la = [loose(w) for w in a]
    lb = [loose(w) for w in b]
    if sum(len(w) for w in lb) < 3:
        return False
    return any(la[i : i + len(lb)] == lb for i in range(len(la) - len(lb) + 1))


def forms_match(label_forms: Iterable[str], predicted_forms: Iterable[str], *, partial: bool) -> bool:
    pred = [p for p in predicted_forms if p]
    for lf in label_forms:
        if not lf:
            continue
        lk, ls, lw = loose(lf), skeleton(lf), words(lf)
        for p in pred:
            if lk and (lk == loose(p) or (len(ls) >= 3 and ls == skeleton(p))):
                return True
            if partial:
                pw = words(p)
                if _contains(pw, lw) or _contains(lw, pw):
                    return True
    return False


def _english(name: str | None) -> str:
    return re.sub(r"[^a-z]", "", (name or "").lower().replace("governorate", ""))


@dataclass
class Counts:
    tp: int = 0  # one-to-one pairs
    fp: int = 0
    fn: int = 0
    found: int = 0  # labels that some prediction matches (a prediction may match several)
    correct: int = 0  # predictions that match some label

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.found += other.found
        self.correct += other.correct

    def precision_by_surface(self) -> float:
        n = self.tp + self.fp
        return self.correct / n if n else 1.0

    def recall_by_surface(self) -> float:
        n = self.tp + self.fn
        return self.found / n if n else 1.0

    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass
class PredictedEntity:
    kind: str  # places | people | orgs
    canonical: str
    forms: list[str]
    admin1: str | None = None


@dataclass
class PredictedFigure:
    index: int
    kind: str
    count_low: int | None
    count_high: int | None
    of_figure: int | None = None
    evidence: str = ""


@dataclass
class ArticleScore:
    counts: dict[str, Counts] = field(default_factory=dict)
    missed: dict[str, list[str]] = field(default_factory=dict)
    extra: dict[str, list[str]] = field(default_factory=dict)
    breakdown_links: list[int] = field(default_factory=lambda: [0, 0])  # [right, labelled and matched]


def predicted_entities(mentions: Sequence[Any]) -> dict[str, list[PredictedEntity]]:
    """Mentions grouped into entities: one per kind and canonical (and governorate for places)."""
    out: dict[str, dict[tuple[str, str | None], PredictedEntity]] = {k: {} for k in ENTITY_KINDS}
    kind_of = {v: k for k, v in _MENTION_KIND.items()}
    for m in mentions:
        kind = kind_of.get(m.kind)
        if kind is None:
            continue
        admin1 = m.admin1 if kind == "places" else None
        key = (m.canonical, admin1)
        ent = out[kind].get(key)
        if ent is None:
            ent = out[kind][key] = PredictedEntity(kind, m.canonical, [], admin1)
            ent.forms.append(m.canonical)
            canonical_ar = getattr(m, "canonical_ar", None)
            if canonical_ar:
                ent.forms.append(canonical_ar)
        ent.forms.append(m.surface)
    return {k: list(v.values()) for k, v in out.items()}


def _label_forms(item: dict[str, Any]) -> list[str]:
    return [str(item.get("surface") or ""), *(str(v) for v in item.get("variants") or [])]


def _match_places(label: dict[str, Any], ent: PredictedEntity, *, partial: bool) -> bool:
    gov = label.get("governorate")
    if gov and ent.admin1 and _english(gov) != _english(ent.admin1):
        return False
    if label.get("name_en") and _english(label["name_en"]) == _english(ent.canonical):
        return True
    return forms_match(_label_forms(label), ent.forms, partial=partial)


def score_entities(kind: str, labels: list[dict[str, Any]], predicted: list[PredictedEntity]) -> tuple[Counts, list[str], list[str]]:
    """One-to-one: exact (loose) matches first, then partial ones (one form's words inside the
    other's: "مطار التيفور" ~ "مطار التيفور العسكري")."""
    used: set[int] = set()
    matched: set[int] = set()
    for partial in (False, True):
        for li, label in enumerate(labels):
            if li in matched:
                continue
            for i, ent in enumerate(predicted):
                if i in used:
                    continue
                if kind == "places":
                    ok = _match_places(label, ent, partial=partial)
                else:
                    ok = forms_match(_label_forms(label), ent.forms, partial=partial)
                if ok:
                    used.add(i)
                    matched.add(li)
                    break
    # by surface: a label is found when any prediction matches it, a prediction is right when it
    # matches any label (an entity the labels split in two, or the pipeline merges, counts once each)
    def ok(label: dict[str, Any], ent: PredictedEntity) -> bool:
        if kind == "places":
            return _match_places(label, ent, partial=True)
        return forms_match(_label_forms(label), ent.forms, partial=True)

    found = sum(1 for label in labels if any(ok(label, e) for e in predicted))
    correct = sum(1 for e in predicted if any(ok(label, e) for label in labels))
    missed = [str(label.get("surface")) for li, label in enumerate(labels) if li not in matched]
    extra = [f"{e.canonical} ({e.forms[-1]})" if e.forms else e.canonical for i, e in enumerate(predicted) if i not in used]
    tp = len(used)
    return Counts(tp, len(predicted) - tp, len(labels) - tp, found, correct), missed, extra


FigureScore = tuple[dict[str, Counts], list[str], list[str], list[int]]


def score_figures(labels: list[dict[str, Any]], predicted: list[PredictedFigure]) -> FigureScore:
    """Per figure kind: counts; plus misses, extras and [right, matched] breakdown links."""
    # a count repeated in one article counts once, as in the labels: predictions with the same
    # kind and counts are one group; a group matches as many labels as it has members, and an
    # unmatched group is one false positive. A labelled breakdown prefers a predicted breakdown.
    groups: dict[tuple[str, int | None, int | None], list[PredictedFigure]] = {}
    for f in predicted:
        groups.setdefault((f.kind, f.count_low, f.count_high), []).append(f)
    match: dict[int, PredictedFigure] = {}  # label index -> predicted figure
    used: set[int] = set()
    order = sorted(range(len(labels)), key=lambda i: labels[i].get("breakdown_of") is None)
    for li in order:
        x = labels[li]
        free = [f for f in groups.get((str(x["kind"]), x.get("count_low"), x.get("count_high")), []) if f.index not in used]
        if not free:
            continue
        want_part = x.get("breakdown_of") is not None
        f = next((g for g in free if (g.of_figure is not None) == want_part), free[0])
        match[li] = f
        used.add(f.index)
    kept = [g[0] for g in groups.values() if not any(f.index in used for f in g)]  # unmatched groups
    counts = {k: Counts() for k in FIGURE_KINDS}
    for li, x in enumerate(labels):
        c = counts.setdefault(str(x["kind"]), Counts())
        if li in match:
            c.tp += 1
        else:
            c.fn += 1
    for f in kept:
        counts.setdefault(f.kind, Counts()).fp += 1
    links = [0, 0]
    for li, x in enumerate(labels):
        total = x.get("breakdown_of")
        if total is None or li not in match or total not in match:
            continue
        links[1] += 1
        if match[li].of_figure == match[total].index:
            links[0] += 1
    unmatched = [x for i, x in enumerate(labels) if i not in match]
    missed = [f"{x['kind']} {x.get('count_low')}..{x.get('count_high')} «{x.get('evidence', '')}»" for x in unmatched]
    extra = [f"{f.kind} {f.count_low}..{f.count_high} «{f.evidence}»" for f in kept]
    return counts, missed, extra, links


def score_article(label: dict[str, Any], mentions: Sequence[Any], figures: Sequence[Any]) -> ArticleScore:
    out = ArticleScore()
    ents = predicted_entities(mentions)
    for kind in ENTITY_KINDS:
        c, missed, extra = score_entities(kind, list(label.get(kind) or []), ents[kind])
        out.counts[kind] = c
        out.missed[kind] = missed
        out.extra[kind] = extra
    preds = [
        PredictedFigure(i, f.kind, f.count_low, f.count_high, getattr(f, "of_figure", None), (f.sentence or "")[:90])
        for i, f in enumerate(figures)
        if f.kind in FIGURE_KINDS
    ]
    fig_counts, missed_f, extra_f, links = score_figures(list(label.get("figures") or []), preds)
    total = Counts()
    for kind, c in fig_counts.items():
        out.counts[f"figures:{kind}"] = c
        total.add(c)
    out.counts["figures"] = total
    out.missed["figures"] = missed_f
    out.extra["figures"] = extra_f
    out.breakdown_links = links
    return out
