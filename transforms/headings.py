"""The header area of an article: title, photo caption, subtitle, byline, and SEO suffixes.

Pure functions over numbered, cleaned lines. What leaves the body here is recorded as `Removed`
(caption, byline, the stripped suffix) or becomes a field (title, subtitle).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from core import datafile
from transforms.dates import month_years
from transforms.fields import looks_like_headline
from transforms.normalize import search_form
from transforms.outlets import by_name
from transforms.records import Embed, Removed

_SUFFIX = re.compile(r"\s*[–—]\s*(?P<suffix>[^–—:\"“”«»()]{2,40}?)\s*$|\s+-\s+(?P<suffix2>[^–—\-:\"“”«»()]{2,40}?)\s*$")
_MAX_SUFFIX_WORDS = 4
_SUFFIX_REPEATS = 3  # twice can be a name ("Minecraft – Pocket Edition" in title and text)
_HEADING_MAX_WORDS = 20
_END = re.compile(r"[.!?؟]\s*$")
_ANY_END = re.compile(r"[.!?؟](?=\s|$)")
# "... - حزيران 2020 (التحالف الدولي)": text, a dash, the photo's month and year, the credit
_CAPTION = re.compile(r"^(?P<text>.{10,300}?)\s*[-–—]\s*(?P<when>[^-–—()]{4,30}?)\s*\((?P<credit>[^()]{2,60})\)\s*$")
_SUBTITLE_MAX_WORDS = 18
_DATELINE = re.compile(r"^[^–—\-:.،,]{2,40}?\s+[–—\-]\s+\S")
_HEADER_WINDOW = 3  # the caption, byline and subtitle sit within this many lines of the title


@dataclass(frozen=True, slots=True)
class BylineRule:
    pattern: re.Pattern[str]
    outlet: bool
    known_outlet_only: bool = False


@dataclass(frozen=True, slots=True)
class HeadingRules:
    byline: tuple[BylineRule, ...]
    sections: frozenset[str]  # search forms


@dataclass(frozen=True, slots=True)
class BylineSpec:
    pattern: str
    outlet: bool = False
    known_outlet_only: bool = False

    def __post_init__(self) -> None:
        try:
            re.compile(self.pattern)
        except re.error as err:
            raise datafile.Invalid("pattern", f"not a valid regular expression: {err}") from None


@dataclass(frozen=True, slots=True)
class HeadingsFile:
    """transforms/rules/headings.yaml"""

    byline: tuple[BylineSpec, ...] = ()
    sections: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def heading_rules() -> HeadingRules:
    spec = datafile.load_package("transforms", "rules/headings.yaml", HeadingsFile)
    return HeadingRules(
        tuple(BylineRule(re.compile(r.pattern), r.outlet, r.known_outlet_only) for r in spec.byline),
        frozenset(search_form(s) for s in spec.sections),
    )


@dataclass(slots=True)
class Header:
    title: str | None = None
    subtitle: str | None = None
    byline: str | None = None
    byline_is_outlet: bool = False
    section: str | None = None
    lines: list[tuple[int, str]] = field(default_factory=list)  # the body lines left
    removed: list[Removed] = field(default_factory=list)
    embeds: list[Embed] = field(default_factory=list)


def is_heading(line: str) -> bool:
    return len(line.split()) <= _HEADING_MAX_WORDS and not _END.search(line)


def split_suffix(line: str) -> tuple[str, str] | None:
    """("heading", "suffix") when a heading ends in " – Section" (at most four words)."""
    m = _SUFFIX.search(line)
    if not m:
        return None
    suffix = (m["suffix"] or m["suffix2"] or "").strip()
    head = line[: m.start()].strip()
    if not suffix or not head or len(suffix.split()) > _MAX_SUFFIX_WORDS or len(head.split()) < 2:
        return None
    return head, suffix


def seo_suffix(headings: Sequence[str]) -> str | None:
    """The section suffix a site appends to its headings: repeated on three or more headings
    (the title counts), or a listed section name. Returned as first written."""
    found = [s for s in (split_suffix(h) for h in headings if is_heading(h)) if s]
    counts = Counter(search_form(suffix) for _, suffix in found)
    for _, suffix in found:
        key = search_form(suffix)
        if counts[key] >= _SUFFIX_REPEATS or key in heading_rules().sections:
            return suffix
    return None


def strip_suffix(line: str, suffix: str) -> str:
    split = split_suffix(line)
    if split and search_form(split[1]) == search_form(suffix):
        return split[0]
    return line


def match_byline(line: str) -> tuple[str, bool] | None:
    if len(line.split()) > 6:
        return None
    for rule in heading_rules().byline:
        m = rule.pattern.match(line)
        if m and (not rule.known_outlet_only or by_name(m["name"]) is not None):
            return m["name"].strip(), rule.outlet
    return None


def match_caption(line: str) -> Embed | None:
    """A photo caption under the headline: text ending in "(credit)" that dates the photo."""
    m = _CAPTION.match(line)
    if not m or _END.search(m["text"]) or not month_years(m["when"]):
        return None
    return Embed("caption", author=m["credit"].strip(), text=line)


def is_subtitle(line: str) -> bool:
    """A short single sentence: 3-18 words, at most one sentence end (at the end)."""
    words = len(line.split())
    if not 3 <= words <= _SUBTITLE_MAX_WORDS or len(line) > 160 or line.rstrip().endswith(":"):
        return False
    if _DATELINE.match(line):
        return False  # "OUTLET – ..." / "CITY - ..." opens a lede, not a subtitle
    ends = _ANY_END.findall(line.rstrip()[:-1])
    return not ends


def analyse_header(lines: Sequence[tuple[int, str]], *, title_hint: str | None, title_from_text: bool) -> Header:
    """Split the header from the body. `title_hint` is a title from metadata or the input;
    without it (and with `title_from_text`) a headline-like first line becomes the title.
    A first line that is a full sentence paragraph is a lede and stays in the body."""
    out = Header(lines=list(lines))
    suffix = seo_suffix([*(t for _, t in out.lines), *([title_hint] if title_hint else [])])
    if suffix is not None:
        out.section = suffix
        stripped: list[tuple[int, str]] = []
        for no, text in out.lines:
            new = strip_suffix(text, suffix) if is_heading(text) else text
            if new != text:
                out.removed.append(Removed(no, text[len(new) :].strip(), "seo_suffix"))
            stripped.append((no, new))
        out.lines = stripped
        if title_hint:
            title_hint = strip_suffix(title_hint, suffix)

    popped_title = False
    if title_hint:
        out.title = title_hint
        if out.lines and search_form(out.lines[0][1]) == search_form(title_hint):
            out.lines.pop(0)
            popped_title = True
    elif title_from_text and out.lines and looks_like_headline(out.lines[0][1]):
        out.title = out.lines.pop(0)[1]
        popped_title = True

    # caption and byline: within a few lines of the top
    top: list[tuple[int, str]] = []
    rest = out.lines[_HEADER_WINDOW:]
    for no, text in out.lines[:_HEADER_WINDOW]:
        caption = match_caption(text) if not top else None
        if caption is not None:
            out.embeds.append(caption)
            out.removed.append(Removed(no, text, "caption"))
            continue
        byline = match_byline(text) if out.byline is None else None
        if byline is not None:
            out.byline, out.byline_is_outlet = byline
            out.removed.append(Removed(no, text, "byline"))
            continue
        top.append((no, text))
    out.lines = top + rest

    if popped_title and len(out.lines) >= 2 and is_subtitle(out.lines[0][1]) and not is_subtitle(out.lines[1][1]):
        out.subtitle = out.lines.pop(0)[1]
    out.removed.sort(key=lambda r: r.line_no)
    return out
