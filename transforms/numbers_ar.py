"""Quantities in Arabic news text: digits, number words, vague amounts and their qualifiers.

Works on tokens of the search form (see transforms.sentences). Pure; the word lists are data
(transforms/data/numbers.ar.yaml).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from core import datafile
from transforms.sentences import Token, sf


@dataclass(frozen=True, slots=True)
class Quantity:
    first: int  # index of the first token (qualifier included)
    last: int  # index of the last token (inclusive)
    low: int | None
    high: int | None
    qualifier: str  # exact | about | more_than | at_least | vague | range
    numeric: bool  # written as digits or number words (not a vague word like عشرات)


@dataclass(frozen=True, slots=True)
class NumberWords:
    units: dict[str, int]
    tens: dict[str, int]
    hundreds: dict[str, int]
    multipliers: dict[str, int]
    standalone: dict[str, int]
    vague: dict[tuple[str, ...], tuple[int, int | None]]
    before: dict[tuple[str, ...], str]
    after: dict[tuple[str, ...], str]
    range_open: tuple[tuple[str, ...], ...]  # longest first
    range_to: frozenset[str]


@dataclass(frozen=True, slots=True)
class NumbersFile:
    """transforms/data/numbers.ar.yaml"""

    units: dict[str, int]
    tens: dict[str, int]
    hundreds: dict[str, int]
    multipliers: dict[str, int]
    standalone: dict[str, int]
    vague: dict[str, tuple[int, int | None]]  # [low, high]; high null: no upper bound (عدد من)
    qualifiers_before: dict[str, str]
    qualifiers_after: dict[str, str]
    range_open: tuple[str, ...]
    range_to: tuple[str, ...]


def _words(table: dict[str, int]) -> dict[str, int]:
    return {sf(k): v for k, v in table.items()}


def _phrases(table: dict[str, str]) -> dict[tuple[str, ...], str]:
    return {tuple(sf(k).split()): v for k, v in table.items()}


@lru_cache(maxsize=1)
def number_words() -> NumberWords:
    data = datafile.load_package("transforms", "data/numbers.ar.yaml", NumbersFile)
    vague = {tuple(sf(k).split()): v for k, v in data.vague.items()}
    vague = dict(sorted(vague.items(), key=lambda kv: -len(kv[0])))  # عشرات الآلاف before عشرات
    return NumberWords(
        units=_words(data.units),
        tens=_words(data.tens),
        hundreds=_words(data.hundreds),
        multipliers=_words(data.multipliers),
        standalone=_words(data.standalone),
        vague=vague,
        before=_phrases(data.qualifiers_before),
        after=_phrases(data.qualifiers_after),
        range_open=tuple(sorted({tuple(sf(p).split()) for p in data.range_open}, key=lambda p: (-len(p), p))),
        range_to=frozenset(sf(w) for w in data.range_to),
    )


@lru_cache(maxsize=65536)
def _strip_clitic(word: str) -> list[str]:
    out = [word]
    if word.startswith("ال") and len(word) > 4 and word != "الاثنين":  # "الثمانية قتلى" (not Monday)
        out.append(word[2:])
    if len(word) > 2 and word[0] in "وبل":
        out.append(word[1:])
        if len(word) > 3 and word[1] in "بل":
            out.append(word[2:])
    return out


def _match_phrase(tokens: list[Token], i: int, table: dict[tuple[str, ...], str], clitics: bool) -> tuple[int, str] | None:
    """Longest phrase of `table` starting at token i: (number of tokens, value)."""
    best: tuple[int, str] | None = None
    if not 0 <= i < len(tokens):
        return None
    word = tokens[i].text
    starts = _first_words(table)
    if word not in starts and not (clitics and not starts.isdisjoint(_strip_clitic(word))):
        return None
    for phrase, value in table.items():
        n = len(phrase)
        if i + n > len(tokens):
            continue
        first_ok = tokens[i].text == phrase[0] or (clitics and phrase[0] in _strip_clitic(tokens[i].text))
        if first_ok and all(tokens[i + k].text == phrase[k] for k in range(1, n)) and (best is None or n > best[0]):
            best = (n, value)
    return best


_FIRSTS: dict[int, frozenset[str]] = {}


def _first_words(table: Mapping[tuple[str, ...], object]) -> frozenset[str]:
    """The first words of a (cached, never changing) phrase table."""
    got = _FIRSTS.get(id(table))
    if got is None:
        got = _FIRSTS[id(table)] = frozenset(p[0] for p in table)
    return got


def _digits(text: str) -> int | None:
    if not text[0].isdigit():
        return None
    if "," in text or "." in text:
        parts = text.replace(".", ",").split(",")
        if all(len(p) == 3 for p in parts[1:]):  # 10,000 / 10.000 thousands separators
            return int("".join(parts))
        return None  # 3.5: not a count of people or events
    return int(text)


def _core(tokens: list[Token], i: int, nw: NumberWords) -> tuple[int, int, int | None, bool] | None:
    """A number at token i: (last index, low, high, numeric). Handles 50, عشرة, خمسة وعشرين,
    عشرة آلاف, 10 آلاف, and the vague words (عشرات, آلاف ...)."""
    n = len(tokens)
    # vague: longest phrase first (عشرات الآلاف before عشرات)
    word = tokens[i].text
    for phrase, (low, high) in nw.vague.items() if not _first_words(nw.vague).isdisjoint(_strip_clitic(word)) else ():
        k = len(phrase)
        if i + k <= n and phrase[0] in _strip_clitic(tokens[i].text) and all(tokens[i + j].text == phrase[j] for j in range(1, k)):
            return i + k - 1, low, high, False
    word = tokens[i].text
    value: int | None = _digits(word)
    last = i
    if value is None:
        cands = _strip_clitic(word)
        for c in cands:
            if c in nw.hundreds:
                value = nw.hundreds[c]
            elif c in nw.tens:
                value = nw.tens[c]
            elif c in nw.units:
                value = nw.units[c]
                # teens: ثلاثة عشر
                if i + 1 < n and tokens[i + 1].text in ("عشر", "عشره") and value < 10:
                    value += 10
                    last = i + 1
                elif c in ("احد", "احدي"):
                    return None  # "أحد المعتقلين" is "one of", not a count
            elif c in nw.standalone:
                return i, nw.standalone[c], nw.standalone[c], True
            if value is not None:
                break
        if value is None:
            return None
        # خمسة وعشرين: unit + و + tens (not عشرة وعشرين: a range or a list)
        if value < 10 and last + 1 < n and tokens[last + 1].text.startswith("و") and tokens[last + 1].text[1:] in nw.tens:
            value += nw.tens[tokens[last + 1].text[1:]]
            last += 1
    if last + 1 < n and tokens[last + 1].text in nw.multipliers:
        value *= nw.multipliers[tokens[last + 1].text]
        last += 1
    return last, value, value, True


def _range_at(tokens: list[Token], i: int, nw: NumberWords) -> Quantity | None:
    """A range of two numbers starting at token i with an opener, the second number larger than
    the first: "ما بين 20 و25", "بين عشرة وعشرين", "بين 20 إلى 25"."""
    n = len(tokens)
    start = i
    for phrase in nw.range_open:
        k = len(phrase)
        if i + k < n and all(tokens[i + j].text == phrase[j] for j in range(k)):
            i += k
            break
    else:
        return None
    first = _core(tokens, i, nw)
    if first is None or not first[3]:
        return None
    last, low = first[0], first[1]
    if last + 1 >= n:
        return None
    joiner = tokens[last + 1]
    if joiner.text in nw.range_to and last + 2 < n:  # "و 25": the tokenizer splits و from digits
        second = _core(tokens, last + 2, nw)
    elif len(joiner.text) > 1 and joiner.text[0] == "و":  # وعشرين
        second = _core([*tokens[: last + 1], Token(joiner.start + 1, joiner.end, joiner.text[1:]), *tokens[last + 2 :]], last + 1, nw)
    else:
        return None
    if second is None or not second[3] or second[1] <= low:
        return None
    return Quantity(start, second[0], low, second[2], "range", True)


def quantity_at(tokens: list[Token], i: int) -> Quantity | None:
    """The quantity that starts at token i (with a qualifier before or after it, or a range of
    two numbers), or None."""
    if not 0 <= i < len(tokens):
        return None  # past the sentence's end (a joiner or a phrase was its last word)
    nw = number_words()
    ranged = _range_at(tokens, i, nw)
    if ranged is not None:
        return ranged
    qualifier = "exact"
    start = i
    pre = _match_phrase(tokens, i, nw.before, clitics=True)
    if pre is not None:
        qualifier = pre[1]
        i += pre[0]
    if i >= len(tokens):
        return None
    core = _core(tokens, i, nw)
    if core is None:
        return None
    last, low, high, numeric = core
    if not numeric and qualifier == "exact":
        qualifier = "vague"
    return Quantity(start, last, low, high, qualifier, numeric)


def qualifier_after(tokens: list[Token], i: int) -> tuple[int, str] | None:
    """A qualifier that follows a count (على الأقل) at token i: (number of tokens, qualifier)."""
    if i >= len(tokens):
        return None
    return _match_phrase(tokens, i, number_words().after, clitics=False)


def apply_qualifier(q: Quantity) -> tuple[int | None, int | None]:
    """count_low/count_high for a qualifier: more_than N -> N+1.., at_least N -> N.., about N -> N..N."""
    if q.qualifier == "more_than" and q.low is not None:
        return q.low + 1, None
    if q.qualifier == "at_least":
        return q.low, None
    return q.low, q.high
