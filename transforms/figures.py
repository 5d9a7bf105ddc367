"""Event figures: how many were killed, injured, arrested, detained, kidnapped; how many security
operations and attacks. Rules over tokens of `body_search`; triggers, counted nouns and number
words are data (transforms/data/figures.ar.yaml, numbers.ar.yaml).

Precision first: a digit count needs a counted noun after it (so dates, ages, durations and ids
are never figures); one figure per kind and sentence (the first), because a second one in the
same sentence is nearly always a breakdown of the first ("على عنصرين ... في الأولى على شخص").

Three more shapes: an indefinite singular noun in the accusative right after the trigger is one
("اعتقلت شاباً"); counted nouns joined by و add up ("إصابة امرأة وطفلين" = 3); and a plural verb
listed under `subject_first` takes the count of the counted noun shortly before it when none
follows ("9 عناصر من التنظيم قتلوا").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from core import datafile
from transforms.numbers_ar import Quantity, apply_qualifier, qualifier_after, quantity_at
from transforms.records import Figure
from transforms.sentences import Span, Token, bases, sf, tokenize, trigger_flags

Phrase = tuple[str, ...]
MAX_GAP = 3  # words allowed between an "after" trigger and a count that has its noun


@dataclass(frozen=True, slots=True)
class FigureRules:
    after: dict[str, tuple[Phrase, ...]]
    before: dict[str, tuple[Phrase, ...]]
    subject_first: dict[str, frozenset[Phrase]]  # "after" verbs whose count may stand before them
    self_singular: dict[str, tuple[Phrase, ...]]
    self_dual: dict[str, tuple[Phrase, ...]]
    fillers: frozenset[str]
    singular: frozenset[str]
    singular_acc: frozenset[str]  # the singular with accusative tanween ("شاباً"): one when alone
    dual: frozenset[str]
    plural: frozenset[str]
    others: frozenset[str]
    not_counts: frozenset[str]
    negations: frozenset[str]
    confirm: dict[str, tuple[str, ...]]  # trigger word -> prefixes one of which the sentence must have
    first_words: frozenset[str]  # first words of every trigger: a quick filter per token
    index: dict[str, tuple[tuple[str, str, Phrase], ...]]  # first word -> (kind, mode, phrase)


@dataclass(frozen=True, slots=True)
class SelfCounting:
    singular: tuple[str, ...] = ()
    dual: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class KindSpec:
    after: tuple[str, ...] = ()
    before: tuple[str, ...] = ()
    self_: tuple[SelfCounting, ...] = field(default=(), metadata=datafile.key("self"))
    subject_first: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NounSpec:
    singular: str
    dual: tuple[str, ...] = ()
    plural: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FiguresFile:
    """transforms/data/figures.ar.yaml"""

    kinds: dict[str, KindSpec]
    nouns: tuple[NounSpec, ...]
    confirm: dict[str, tuple[str, ...]] = field(default_factory=dict)
    fillers: tuple[str, ...] = ()
    negations: tuple[str, ...] = ()
    others: tuple[str, ...] = ()
    not_counts: tuple[str, ...] = ()


def _phrases(items: Iterable[str]) -> tuple[Phrase, ...]:
    out = {tuple(sf(x).split()) for x in items}
    return tuple(sorted((p for p in out if p), key=lambda p: -len(p)))


@lru_cache(maxsize=1)
def figure_rules() -> FigureRules:
    data = datafile.load_package("transforms", "data/figures.ar.yaml", FiguresFile)
    after: dict[str, tuple[Phrase, ...]] = {}
    before: dict[str, tuple[Phrase, ...]] = {}
    sg: dict[str, tuple[Phrase, ...]] = {}
    du: dict[str, tuple[Phrase, ...]] = {}
    for kind, spec in data.kinds.items():
        after[kind] = _phrases(spec.after)
        before[kind] = _phrases(spec.before)
        sg[kind] = _phrases([x for s in spec.self_ for x in s.singular])
        du[kind] = _phrases([x for s in spec.self_ for x in s.dual])
    nouns = data.nouns
    singular = frozenset(sf(n.singular) for n in nouns)
    return FigureRules(
        after=after,
        before=before,
        subject_first={kind: frozenset(_phrases(spec.subject_first)) for kind, spec in data.kinds.items()},
        self_singular=sg,
        self_dual=du,
        fillers=frozenset(sf(x) for x in data.fillers),
        singular=singular,
        singular_acc=frozenset(sf(x) for n in nouns for x in n.plural if sf(x) == sf(n.singular) + "ا"),
        dual=frozenset(sf(x) for n in nouns for x in n.dual),
        plural=frozenset(sf(x) for n in nouns for x in n.plural),
        others=frozenset(sf(x) for x in data.others),
        not_counts=frozenset(sf(x) for x in data.not_counts),
        negations=frozenset(sf(x) for x in data.negations),
        confirm={sf(k): tuple(sf(x) for x in v) for k, v in data.confirm.items()},
        first_words=frozenset(p[0] for table in (after, before, sg, du) for phrases in table.values() for p in phrases),
        index=_index({"before": before, "dual": du, "singular": sg, "after": after}),
    )


def _index(tables: dict[str, dict[str, tuple[Phrase, ...]]]) -> dict[str, tuple[tuple[str, str, Phrase], ...]]:
    out: dict[str, list[tuple[str, str, Phrase]]] = {}
    for mode, table in tables.items():
        for kind, phrases in table.items():
            for phrase in phrases:
                out.setdefault(phrase[0], []).append((kind, mode, phrase))
    return {k: tuple(v) for k, v in out.items()}


def _match(tokens: list[Token], i: int, phrase: Phrase, *, article: bool, cands: tuple[str, ...] | list[str] | None = None) -> int | None:
    """Index of the last token if `phrase` starts at token i (clitics allowed on the first word;
    the article ال only when `article`)."""
    if i + len(phrase) > len(tokens):
        return None
    first = tokens[i].text
    cands = cands if cands is not None else bases(first)
    if not article:  # indefinite only: no candidate that is, or was left by taking off, the article
        cands = [c for c in cands if not c.startswith("ال") and "ال" + c not in cands]
    if phrase[0] not in cands:
        return None
    for k in range(1, len(phrase)):
        want = phrase[k]
        got = tokens[i + k].text
        if got != want and not (article and got == "ال" + want) and not (want.startswith("ال") and got == want):
            return None
    return i + len(phrase) - 1


def _is_noun(word: str, rules: FigureRules) -> bool:
    return any(b in rules.plural or b in rules.singular or b in rules.dual or b in rules.others for b in bases(word))


def _count_after(  # noqa: PLR0911  # one return per way a count can follow a trigger
    tokens: list[Token], j: int, rules: FigureRules
) -> tuple[int | None, int | None, str, int] | None:
    """The count that follows an "after" trigger whose next token is j: (low, high, qualifier, last)."""
    gap = 0
    k = j
    while k < len(tokens) and gap <= MAX_GAP:
        word = tokens[k].text
        if not any(ch.isalnum() for ch in word):
            return None  # punctuation ends the search
        if k > j and not rules.first_words.isdisjoint(bases(word)):
            return None  # another trigger: the count belongs to it ("قتل مدنيان وأصيب ثلاثة آخرون")
        q = quantity_at(tokens, k)
        only_fillers = all(tokens[m].text in rules.fillers for m in range(j, k))
        if q is not None:
            nxt = q.last + 1
            if nxt < len(tokens) and any(b in rules.not_counts for b in bases(tokens[nxt].text)):
                return None
            has_noun = nxt < len(tokens) and (_is_noun(tokens[nxt].text, rules) or tokens[nxt].text == "من")
            if has_noun or (only_fillers and not q.numeric):
                return _with_post(q, tokens, nxt + 1 if has_noun else nxt)
            return None
        if word in rules.dual:
            return _joined(tokens, 2, k, rules)  # a dual is a count wherever it stands in the window
        if only_fillers:
            if word in rules.singular or word in rules.singular_acc:
                return _joined(tokens, 1, k, rules)
            if word in rules.dual:
                return 2, 2, "exact", k
            if word in rules.others:
                return 2, None, "vague", k
        if word not in rules.fillers:
            gap += 1
        k += 1
    return None


def _joined(tokens: list[Token], n: int, k: int, rules: FigureRules) -> tuple[int, int, str, int]:
    """An exact count n ending at token k, plus the single or dual counted nouns joined to it by و
    ("امرأة وطفلين": 1 + 2)."""
    while k + 1 < len(tokens):
        word = tokens[k + 1].text
        if len(word) < 3 or word[0] != "و":
            break
        rest = word[1:]
        add = 1 if rest in rules.singular or rest in rules.singular_acc else 2 if rest in rules.dual else 0
        if not add:
            break
        n, k = n + add, k + 1
    return n, n, "exact", k


_BREAKDOWN = frozenset({"بينهم", "بينهن", "منهم", "منهن"})  # "57 مدنيا بينهم 12 طفلا و6 نساء قتلوا"


def _count_before_verb(tokens: list[Token], i: int, rules: FigureRules) -> tuple[int | None, int | None, str, int] | None:
    """The count of the counted noun standing up to four words before the verb at i: the nearest
    counted noun decides (with no count before it, there is none); a breakdown after بينهم/منهم
    gives way to the total before it."""
    for n in range(i - 1, max(-1, i - 6), -1):
        word = tokens[n].text
        if not any(ch.isalnum() for ch in word) or not rules.first_words.isdisjoint(bases(word)):
            return None  # punctuation, or another trigger: "11 شخصا قتلوا و32 أصيبوا" is not 11 injured
        if not _is_noun(word, rules):
            continue
        q = _quantity_before(tokens, n)
        if q is None:
            return (2, 2, "exact", n) if word in rules.dual else None
        for b in range(q.first - 1, max(-1, q.first - 8), -1):
            if tokens[b].text in _BREAKDOWN:
                return _count_before_verb(tokens, b + 1, rules) if b > 0 else None
        low, high = apply_qualifier(q)
        return low, high, q.qualifier, q.first
    return None


def _with_post(q: Quantity, tokens: list[Token], k: int) -> tuple[int | None, int | None, str, int]:
    post = qualifier_after(tokens, k)
    if post is None and q.last + 1 < len(tokens):
        post = qualifier_after(tokens, q.last + 1)
    if post is not None:
        q = Quantity(q.first, q.last, q.low, q.high, post[1], q.numeric)
        k += post[0]
    low, high = apply_qualifier(q)
    return low, high, q.qualifier, max(q.last, k - 1)


def _quantity_before(tokens: list[Token], i: int) -> Quantity | None:
    """A quantity that ends right before token i (or before "من" at i-1: الآلاف من معتقلي)."""
    for end in (i - 1, i - 2):
        if end < 0 or (end == i - 2 and tokens[i - 1].text != "من"):
            continue
        for start in range(max(0, end - 5), end + 1):
            q = quantity_at(tokens, start)
            if q is not None and q.last == end:
                return q
    return None


def _confirmed(phrase: Phrase, tokens: list[Token], rules: FigureRules) -> bool:
    needs = rules.confirm.get(phrase[0])
    if not needs:
        return True
    return any(b.startswith(needs) for t in tokens for b in bases(t.text))


def _longest_first(phrases: list[Phrase] | None) -> list[Phrase]:
    return sorted(set(phrases), key=lambda p: (-len(p), p)) if phrases else []


def figures_in_sentence(sentence: Span) -> list[Figure]:
    rules = figure_rules()
    tokens = tokenize(sentence.text, sentence.start)
    found: dict[str, Figure] = {}

    def add(kind: str, low: int | None, high: int | None, qualifier: str, first: int, last: int) -> None:  # noqa: PLR0917  # local helper
        if kind in found:
            return
        found[kind] = Figure(kind, low, high, qualifier, sentence.text, tokens[first].start, tokens[last].end)

    for i in range(len(tokens)):
        cands = bases(tokens[i].text)
        if rules.first_words.isdisjoint(cands):
            continue
        if any(not rules.negations.isdisjoint(bases(tokens[k].text)) for k in range(max(0, i - 4), i)):
            continue  # a release, not an arrest or a detention
        here: dict[tuple[str, str], list[Phrase]] = {}
        for c in cands:
            for kind, mode, phrase in rules.index.get(c, ()):
                here.setdefault((kind, mode), []).append(phrase)
        for kind in rules.after:
            if kind in found:
                continue
            # the trigger is the counted noun: the count stands before it
            for phrase in _longest_first(here.get((kind, "before"))):
                e = _match(tokens, i, phrase, article=True, cands=cands)
                if e is None:
                    continue
                q = _quantity_before(tokens, i)
                if q is not None:
                    low, high = apply_qualifier(q)
                    add(kind, low, high, q.qualifier, q.first, e)
                    break
            if kind in found:
                continue
            for phrase in _longest_first(here.get((kind, "dual"))):
                e = _match(tokens, i, phrase, article=False, cands=cands)
                if e is not None:
                    add(kind, 2, 2, "exact", i, e)
                    break
            if kind in found:
                continue
            for phrase in _longest_first(here.get((kind, "singular"))):
                e = _match(tokens, i, phrase, article=False, cands=cands)
                if e is not None and _quantity_before(tokens, i) is None:
                    add(kind, 1, 1, "exact", i, e)
                    break
            if kind in found:
                continue
            for phrase in _longest_first(here.get((kind, "after"))):
                e = _match(tokens, i, phrase, article=True, cands=cands)
                if e is None or not _confirmed(phrase, tokens, rules):
                    continue
                count = _count_after(tokens, e + 1, rules)
                if count is not None:
                    low, high, qualifier, last = count
                    add(kind, low, high, qualifier, i, last)
                    break
                if phrase in rules.subject_first[kind]:
                    back = _count_before_verb(tokens, i, rules)
                    if back is not None:
                        low, high, qualifier, first = back
                        add(kind, low, high, qualifier, first, e)
                        break
    return sorted(found.values(), key=lambda f: (f.start or 0, f.kind))


def extract_figures(sentences: list[Span]) -> list[Figure]:
    out: list[Figure] = []
    for s, hit in zip(sentences, trigger_flags(sentences, figure_rules().first_words), strict=True):
        if hit:  # a sentence without a trigger word has no figure
            out.extend(figures_in_sentence(s))
    return out
