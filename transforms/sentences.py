"""Sentences, tokens and clitic-aware matching over `body_search` (the search form of a body).

Pure helpers shared by the fact extractors. All offsets are character offsets into the text that
was passed in (for the pipeline: `Article.body_search`).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate, chain
from typing import NamedTuple

from transforms.normalize import search_form

_SENTENCE = re.compile(r"[^.!?؟\n]+(?:[.!?؟]+|$)", re.MULTILINE)
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+|[^\w\s]|_")
# proclitics in front of an Arabic word: conjunction, then preposition; and the article
_CONJ = ("و", "ف")
_PREP = ("ب", "ل", "ك")
QUOTES = "\"'"


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    text: str


class Token(NamedTuple):  # a NamedTuple: cheap to create, there is one per word
    start: int
    end: int
    text: str


_BREAK = re.compile(r"\n|[.!?؟]")
_END = ".!?؟"


def split_sentences(text: str) -> list[Span]:
    """Sentences end at . ! ? ؟ or a line break. A dot between digits (3.5), before a Latin letter
    or digit (a URL) or after a one-letter initial (ب.) does not end one."""
    out: list[Span] = []
    n = len(text)

    def emit(a: int, b: int) -> None:
        chunk = text[a:b]
        lead = len(chunk) - len(chunk.lstrip())
        body = chunk.strip()
        if body:
            out.append(Span(a + lead, a + lead + len(body), body))

    start = 0
    for m in _BREAK.finditer(text):
        i = m.start()
        if i < start:
            continue  # part of a run already taken
        if text[i] == "\n":
            emit(start, i)
            start = i + 1
            continue
        prev_digit = i > 0 and text[i - 1].isdigit()
        next_digit = i + 1 < n and text[i + 1].isdigit()
        latin_next = i + 1 < n and text[i + 1].isascii() and text[i + 1].isalnum()  # URL, domain, e.g.
        initial = text[i] == "." and i >= 1 and text[i - 1].isalpha() and (i == 1 or not text[i - 2].isalnum())  # ب.
        if (prev_digit and next_digit) or (text[i] == "." and (latin_next or initial)):
            continue
        j = i
        while j + 1 < n and text[j + 1] in _END:
            j += 1
        emit(start, j + 1)  # keep the punctuation in the sentence
        start = j + 2 if j + 1 < n and text[j + 1] == "\n" else j + 1
    emit(start, n)
    return out


def tokenize(text: str, offset: int = 0) -> list[Token]:
    return list(_tokenize(text, offset))


def clear_token_cache() -> None:
    """Forget the tokens of the last article (called once per article by extract_facts)."""
    _tokenize.cache_clear()
    _vocabulary.cache_clear()
    _sentence_words.cache_clear()


@lru_cache(maxsize=2048)
def _tokenize(text: str, offset: int) -> tuple[Token, ...]:
    """Cached: the figure and person rules tokenize the same sentences."""
    new = tuple.__new__  # Token(...) without the NamedTuple __new__ overhead: one per word
    return tuple(new(Token, (m.start() + offset, m.end() + offset, m.group(0))) for m in _TOKEN.finditer(text))


@lru_cache(maxsize=65536)
def bases(word: str) -> tuple[str, ...]:
    """The word and what is left after taking off proclitics (و ف, ب ل ك, ال), longest first."""
    return tuple(_bases(word))


def _bases(word: str) -> list[str]:
    out = [word]
    w = word
    if len(w) > 3 and w[0] in _CONJ:
        w = w[1:]
        out.append(w)
    if len(w) > 3 and w[0] in _PREP:
        if w.startswith("لل") and len(w) > 4:
            out.append("ال" + w[2:])
            out.append(w[2:])
        w = w[1:]
        out.append(w)
    if len(w) > 4 and w.startswith("ال"):
        out.append(w[2:])
    return out


def phrase_pattern(forms: Iterable[str]) -> str:
    """A regex alternation of phrases (already in search form), longest first, where the words of
    a phrase may be separated by spaces and quote marks, and the first word may carry clitics."""
    alts = []
    for form in sorted(set(forms), key=lambda f: (-len(f), f)):
        words = form.split()
        if not words:
            continue
        first = re.escape(words[0])
        if words[0].startswith("ال") and len(words[0]) > 2:
            # "لل" + rest: ل + ال with the alef dropped (للتحالف)
            first = f"(?:{first}|(?<=ل)ل{re.escape(words[0][2:])})"
        rest = "".join(r"[\s" + QUOTES + r"]+" + re.escape(w) for w in words[1:])
        alts.append(first + rest)
    return "|".join(alts)


def clitic_regex(forms: Iterable[str]) -> re.Pattern[str]:
    """Match any of `forms` as whole words, through proclitics and an opening quote mark.
    Group `name` is the phrase itself (without clitics or quotes)."""
    alternation = phrase_pattern(forms)
    return re.compile(r"(?<![\w])(?:[وف]?[بلك]?)?[" + QUOTES + r"]?(?P<name>" + alternation + r")(?![\w])")


def sf(text: str) -> str:
    """Search form of a data-file string (collapse spaces too)."""
    return " ".join(search_form(text).split())


def sentence_at(sentences: list[Span], pos: int) -> Span | None:
    """The sentence that holds `pos` (`sentences` as split_sentences gives them: in order, not
    overlapping), by bisection: a long article has tens of thousands of sentences."""
    i = bisect_right(sentences, pos, key=_start) - 1
    if i >= 0 and sentences[i].start <= pos < sentences[i].end:
        return sentences[i]
    return None


def _start(span: Span) -> int:
    return span.start


class SpanSet:
    """Character ranges [start, end) (in any order, overlapping or not) that answer "does
    [start, end) overlap one of them?" in O(log n): the ranges sorted by start, and the
    largest end among the first i of them."""

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        ordered = sorted(spans)
        self._starts = [a for a, _ in ordered]
        self._max_end = list(accumulate((b for _, b in ordered), max))

    def overlaps(self, start: int, end: int) -> bool:
        """Some range [a, b) has a < end and start < b."""
        i = bisect_left(self._starts, end)  # the ranges that start before `end`
        return i > 0 and self._max_end[i - 1] > start

    def covers(self, pos: int) -> bool:
        """Some range [a, b) has a <= pos < b."""
        return self.overlaps(pos, pos + 1)

    def __bool__(self) -> bool:
        return bool(self._starts)


_WORD_RUN = re.compile(r"\w+")


def first_words(forms: Iterable[str]) -> frozenset[str]:
    """The leading word-run of every phrase: where a phrase pattern can start."""
    out = set()
    for form in forms:
        m = _WORD_RUN.match(form)
        if m:
            out.add(m.group(0))
    return frozenset(out)


@lru_cache(maxsize=2)
def _sentence_words(texts: tuple[str, ...]) -> tuple[tuple[list[str], ...], frozenset[str]]:
    """The token texts of every sentence (as `tokenize` gives them) and all of them as one set."""
    words = tuple(_TOKEN.findall(t) for t in texts)
    return words, frozenset().union(*words)


def trigger_flags(sentences: list[Span], triggers: frozenset[str]) -> list[bool]:
    """For each sentence, whether one of its tokens has a bare form (see `bases`) in `triggers`.
    A sentence without one cannot start a rule keyed on those words, so it need not be
    tokenized. Each distinct word of the article is looked at once."""
    words, vocabulary = _sentence_words(tuple(s.text for s in sentences))
    hit = {w for w in vocabulary if not triggers.isdisjoint(bases(w))}
    if not hit:
        return [False] * len(words)
    return [not hit.isdisjoint(ws) for ws in words]


@lru_cache(maxsize=2)
def _vocabulary(text: str) -> tuple[dict[str, tuple[str, ...]], frozenset[str]]:
    """Every distinct word run of a text with its bare forms, and the union of those forms:
    built once per article, shared by the alias and gazetteer passes."""
    distinct = set(_WORD_RUN.findall(text))
    forms = dict(zip(distinct, map(bases, distinct), strict=True))
    return forms, frozenset(chain.from_iterable(forms.values()))


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"  # what `\w` matches in a str pattern


def word_starts(text: str, word: str) -> list[int]:
    """Starts of the whole-word occurrences of `word` (a run of word characters) in `text`: where
    `_WORD_RUN.finditer(text)` yields exactly `word`."""
    out = []
    n, size = len(text), len(word)
    i = text.find(word)
    while i >= 0:
        j = i + size
        if (i == 0 or not _is_word_char(text[i - 1])) and (j == n or not _is_word_char(text[j])):
            out.append(i)
        i = text.find(word, j)  # one starting inside this one follows a word character: not whole
    return out


def prefiltered_matches(text: str, pattern: re.Pattern[str], firsts: frozenset[str]) -> list[re.Match[str]]:
    """`pattern.finditer(text)` for a clitic_regex, tried only at words whose bare form starts a
    phrase: the same matches, far faster for patterns with hundreds of alternatives."""
    out: list[re.Match[str]] = []
    forms, all_forms = _vocabulary(text)
    hits = firsts.intersection(all_forms)
    if not hits:
        return out
    words = [w for w, bs in forms.items() if not hits.isdisjoint(bs)]
    done = 0
    for w_start in sorted(i for w in words for i in word_starts(text, w)):
        if w_start < done:
            continue
        m = pattern.match(text, w_start)
        start = w_start
        if m is None and start > 0 and text[start - 1] in QUOTES:
            start -= 1
            # clitics written before the quote mark: لـ"قوات، و"قسد
            while start > 0 and text[start - 1] in "وفبلك" and w_start - start < 3:
                start -= 1
            if start > 0 and text[start - 1].isalnum():
                start = w_start - 1  # the quote is inside a longer word: try from the quote only
            m = pattern.match(text, start)
        if m is not None:
            out.append(m)
            done = m.end()
    return out
