"""Sentences, tokens and clitic-aware matching over `body_search` (the search form of a body).

Pure helpers shared by the fact extractors. All offsets are character offsets into the text that
was passed in (for the pipeline: `Article.body_search`).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from typing import Any, NamedTuple

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
    word_positions.cache_clear()
    _sentence_words.cache_clear()


@lru_cache(maxsize=1024)
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


_STARTS: tuple[list[Span], list[int]] = ([], [])  # the last sentence list (held, so compared by identity) and its starts


def sentence_at(sentences: list[Span], pos: int) -> Span | None:
    """The sentence that holds pos (sentences in text order, as split_sentences gives them)."""
    global _STARTS  # noqa: PLW0603  # a one-entry cache: the extractors of one article ask for the same list
    if _STARTS[0] is not sentences or len(_STARTS[1]) != len(sentences):
        _STARTS = (sentences, [x.start for x in sentences])
    k = bisect_right(_STARTS[1], pos) - 1
    if k >= 0 and sentences[k].start <= pos < sentences[k].end:
        return sentences[k]
    return None


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
def word_positions(text: str) -> dict[str, list[int]]:
    """Where every word run of a text starts (once per article; what `word_starts` finds)."""
    out: dict[str, list[int]] = {}
    for m in _WORD_RUN.finditer(text):
        out.setdefault(m.group(0), []).append(m.start())
    return out


@lru_cache(maxsize=2)
def _vocabulary(text: str) -> tuple[dict[str, tuple[str, ...]], frozenset[str]]:
    """Every distinct word run of a text with its bare forms, and the union of those forms:
    built once per article, shared by the alias and gazetteer passes."""
    distinct = set(word_positions(text))
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


_CLITIC_PREFIXES = tuple(sorted({c + p for c in ("", "و", "ف") for p in ("", "ب", "ل", "ك")}, key=lambda x: -len(x)))
_SEPARATOR = re.compile(r"[\s" + QUOTES + r"]+")


class PhraseMatch:
    """What `clitic_regex(...).match` gives, for a PhraseIndex: the whole match (clitics and an
    opening quote included) and the group `name`."""

    __slots__ = ("_end", "_name", "_start", "_text")

    def __init__(self, text: str, start: int, name_start: int, end: int) -> None:
        self._text, self._start, self._name, self._end = text, start, name_start, end

    def start(self, group: str | None = None) -> int:
        return self._name if group else self._start

    def end(self, group: str | None = None) -> int:
        return self._end

    def group(self, group: str | None = None) -> str:
        return self._text[self._name if group else self._start : self._end]


class PhraseIndex:
    """The phrases of a table (search form) as a word trie: matches what `clitic_regex` matches
    (clitics و ف ب ل ك on the first word, لل for ل + ال, spaces and quote marks between words,
    whole words only, the longest phrase) without a regex of thousands of alternatives."""

    def __init__(self, forms: Iterable[str]) -> None:
        self.trie: dict[str, Any] = {}
        for form in set(forms):
            words = form.split()
            if not words:
                continue
            node = self.trie
            for w in words:
                node = node.setdefault(w, {})
            node[""] = True  # a phrase ends here

    def _longest(self, text: str, node: dict[str, Any], pos: int) -> int | None:
        """End of the longest phrase that continues from `node` at pos (after its first word)."""
        best = pos if "" in node else None
        while True:
            sep = _SEPARATOR.match(text, pos)
            if sep is None:
                return best
            run = _WORD_RUN.match(text, sep.end())
            if run is None:
                return best
            nxt = node.get(run.group(0))
            if nxt is None:
                return best
            node, pos = nxt, run.end()
            if "" in node:
                best = pos

    def match(self, text: str, w_start: int) -> PhraseMatch | None:
        run = _WORD_RUN.match(text, w_start)
        if run is None:
            return None
        word, w_end = run.group(0), run.end()
        for prefix in _CLITIC_PREFIXES:
            if not word.startswith(prefix) or len(word) == len(prefix):
                continue
            rest = word[len(prefix) :]
            cands = [(rest, rest)]
            if prefix.endswith("ل") and rest.startswith("ل"):
                cands.append(("ال" + rest[1:], rest))  # للتحالف: ل + التحالف, the name is "لتحالف"
            for first, written in cands:
                node = self.trie.get(first)
                if node is None:
                    continue
                end = self._longest(text, node, w_end)
                if end is not None:
                    return PhraseMatch(text, _match_start(text, w_start), w_end - len(written), end)
        return None


def _match_start(text: str, w_start: int) -> int:
    """Where `clitic_regex` would start: clitics written before an opening quote (لـ"قوات) belong
    to the match."""
    start = w_start
    if start > 0 and text[start - 1] in QUOTES:
        start -= 1
        while start > 0 and text[start - 1] in "وفبلك" and w_start - start < 3:
            start -= 1
        if start > 0 and text[start - 1].isalnum():
            start = w_start - 1
    return start


def phrase_index(forms: Iterable[str]) -> PhraseIndex:
    return PhraseIndex(forms)


def prefiltered_matches(text: str, pattern: re.Pattern[str] | PhraseIndex, firsts: frozenset[str]) -> list[re.Match[str] | PhraseMatch]:
    """`pattern.finditer(text)` for a clitic_regex (or a PhraseIndex), tried only at words whose
    bare form starts a phrase: the same matches, far faster for tables with hundreds of phrases."""
    out: list[re.Match[str] | PhraseMatch] = []
    forms, all_forms = _vocabulary(text)
    hits = firsts.intersection(all_forms)
    if not hits:
        return out
    words = [w for w, bs in forms.items() if not hits.isdisjoint(bs)]
    done = 0
    positions = word_positions(text)
    for w_start in sorted(i for w in words for i in positions[w]):
        if w_start < done:
            continue
        if isinstance(pattern, PhraseIndex):
            pm = pattern.match(text, w_start)
            if pm is not None:
                out.append(pm)
                done = pm.end()
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
