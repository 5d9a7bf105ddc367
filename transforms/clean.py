"""Text-level boilerplate removal driven by rule files (transforms/rules/boilerplate.*.yaml, and
a registered source's `boilerplate:` in sources/<id>/source.yaml).

Pure: numbered lines in, kept lines plus an audit trail (`Removed`) and embeds out. Rules are
data; this module only knows the rule kinds (`line`, `block`) and one precision guard: a line that
reads as content is never taken by a guarded rule.

Embedded tweets are recognised here too (transforms/embeds.py), before the line rules, because
their lines (a tweet's text, its "— Name (@handle) Date" line, pic.twitter.com links) would
otherwise stay in the body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Literal

from core import datafile
from transforms.embeds import extract_tweets, short_link_embed
from transforms.normalize import search_form, search_letters
from transforms.records import Embed, Removed

# A line that ends a sentence (not an ellipsis "..") or carries a quotation reads as content.
_SENTENCE_END = re.compile(r"(?<![.…])[.!?؟]\s*$|[:\"”»]\s*$")
# Inside a block (a list of link titles) only a full stop ends the list: titles often end in quotes.
_PARAGRAPH_END = re.compile(r"(?<![.…])[.!?؟]\s*$")
_QUOTE = re.compile("[“”«»\"]")
_CONTENT_WORDS = 16  # a line this long is content whatever it looks like


@dataclass(frozen=True, slots=True)
class LineRule:
    name: str
    pattern: re.Pattern[str]
    guard: bool = True
    embed: str | None = None
    remove_examples: tuple[str, ...] = ()
    keep_examples: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BlockRule:
    name: str
    pattern: re.Pattern[str]
    max_words: int
    guard: bool = True
    remove_examples: tuple[str, ...] = ()
    keep_examples: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RuleSet:
    language: str
    line: tuple[LineRule, ...]
    block: tuple[BlockRule, ...]

    def merged(self, other: RuleSet) -> RuleSet:
        """Source-specific rules first (they are the more precise), then the language's rules."""
        return RuleSet(self.language, other.line + self.line, other.block + self.block)


@dataclass(slots=True)
class CleanResult:
    lines: list[tuple[int, str]]  # (line number in the input, stripped text), blank lines dropped
    removed: list[Removed] = field(default_factory=list)
    embeds: list[Embed] = field(default_factory=list)

    @property
    def text_lines(self) -> list[str]:
        return [text for _, text in self.lines]


def _compiled(pattern: str) -> re.Pattern[str]:
    """A rule's pattern, with the search-form letter mapping applied (see boilerplate.ar.yaml)."""
    return re.compile(search_letters(pattern), re.IGNORECASE)


def _check_pattern(pattern: str) -> None:
    try:
        _compiled(pattern)
    except re.error as err:
        raise datafile.Invalid("pattern", f"not a valid regular expression: {err}") from None


@dataclass(frozen=True, slots=True)
class LineRuleSpec:
    """A `line:` rule as written in a rule file."""

    name: str
    pattern: str
    guard: bool = True
    embed: Literal["short_link"] | None = None
    remove: tuple[str, ...] = ()  # lines the rule must take
    keep: tuple[str, ...] = ()  # lines no rule may take

    def __post_init__(self) -> None:
        _check_pattern(self.pattern)


@dataclass(frozen=True, slots=True)
class BlockRuleSpec:
    """A `block:` rule as written in a rule file."""

    name: str
    pattern: str
    max_words: int = 14
    guard: bool = True
    remove: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_pattern(self.pattern)


@dataclass(frozen=True, slots=True)
class RuleFile:
    """A boilerplate rule file (transforms/rules/boilerplate.<language>.yaml) or a source's `boilerplate:`."""

    language: str = ""
    line: tuple[LineRuleSpec, ...] = ()
    block: tuple[BlockRuleSpec, ...] = ()


def parse_rules(spec: RuleFile) -> RuleSet:
    line_rules = tuple(
        LineRule(r.name, _compiled(r.pattern), guard=r.guard, embed=r.embed, remove_examples=r.remove, keep_examples=r.keep)
        for r in spec.line
    )
    block_rules = tuple(
        BlockRule(r.name, _compiled(r.pattern), r.max_words, guard=r.guard, remove_examples=r.remove, keep_examples=r.keep)
        for r in spec.block
    )
    return RuleSet(spec.language, line_rules, block_rules)


def _rule_file(name: str) -> RuleFile | None:
    if not resources.files("transforms").joinpath(f"rules/{name}").is_file():
        return None
    return datafile.load_package("transforms", f"rules/{name}", RuleFile)


@lru_cache(maxsize=32)
def load_rules(language: str = "ar") -> RuleSet:
    """Rules shipped with the package for a language (falling back to Arabic, whose file also
    covers the Latin share-bar words). A registered source's own rules come first
    (transforms.registry.rules_for). Cached: rule files are immutable package data."""
    if not re.fullmatch(r"[a-z]{2,3}", language):  # a language code, never a path
        language = "ar"
    spec = _rule_file(f"boilerplate.{language}.yaml") or _rule_file("boilerplate.ar.yaml") or RuleFile()
    return parse_rules(spec)


def reads_as_content(line: str) -> bool:
    """The precision guard: a long line, a sentence that ends in punctuation, or a quotation."""
    words = len(line.split())
    if words >= _CONTENT_WORDS:
        return True
    return words >= 6 and bool(_SENTENCE_END.search(line) or _QUOTE.search(line))


def match_line_rule(line: str, rules: RuleSet) -> LineRule | None:
    return _line_rule(search_form(line.strip()), reads_as_content(line), rules)


def match_block_rule(line: str, rules: RuleSet) -> BlockRule | None:
    return _block_rule(search_form(line.strip()), reads_as_content(line), rules)


def _line_rule(key: str, content: bool, rules: RuleSet) -> LineRule | None:
    """`match_line_rule` for a line whose search form and guard are already known."""
    return next((r for r in rules.line if (not r.guard or not content) and r.pattern.search(key)), None)


def _block_rule(key: str, content: bool, rules: RuleSet) -> BlockRule | None:
    return next((b for b in rules.block if (not b.guard or not content) and b.pattern.search(key)), None)


def clean_document(lines: list[str], rules: RuleSet) -> CleanResult:
    """Remove boilerplate lines; tweets and short links become embeds. Line numbers are indexes
    into `lines` (the text the cleaner saw)."""
    numbered = [(no, line.strip()) for no, line in enumerate(lines) if line.strip()]
    tweets = extract_tweets(numbered)
    result = CleanResult(lines=[], removed=list(tweets.removed), embeds=list(tweets.embeds))
    in_block: BlockRule | None = None
    for no, stripped in numbered:
        if no in tweets.taken:
            continue
        key, content = search_form(stripped), reads_as_content(stripped)  # once per line, for every rule
        if in_block is not None:
            words = len(stripped.split())
            own_rule = _line_rule(key, content, rules)
            if own_rule is None and _block_rule(key, content, rules) is None and (
                words <= in_block.max_words and not _PARAGRAPH_END.search(stripped)
            ):
                result.removed.append(Removed(no, stripped, in_block.name))
                continue
            if own_rule is None:
                in_block = None
        block = _block_rule(key, content, rules)
        if block is not None:
            in_block = block
            result.removed.append(Removed(no, stripped, block.name))
            continue
        rule = _line_rule(key, content, rules)
        if rule is not None:
            result.removed.append(Removed(no, stripped, rule.name))
            if rule.embed == "short_link":
                embed = short_link_embed(stripped)
                if embed is not None:
                    result.embeds.append(embed)
            continue
        result.lines.append((no, stripped))
    result.removed.sort(key=lambda r: r.line_no)
    return result


def clean_lines(lines: list[str], rules: RuleSet) -> CleanResult:
    """Backwards-compatible name for `clean_document`."""
    return clean_document(lines, rules)
