"""Text-level boilerplate removal driven by rule files (transforms/rules/boilerplate.*.yaml).

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
from typing import Any

import yaml

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


def _examples(r: dict[str, Any], key: str) -> tuple[str, ...]:
    return tuple(str(x) for x in r.get(key) or ())


def parse_rules(data: dict[str, Any]) -> RuleSet:
    def compile_(p: object) -> re.Pattern[str]:
        return re.compile(search_letters(str(p)), re.IGNORECASE)

    line_rules = tuple(
        LineRule(
            str(r["name"]),
            compile_(r["pattern"]),
            guard=bool(r.get("guard", True)),
            embed=str(r["embed"]) if r.get("embed") else None,
            remove_examples=_examples(r, "remove"),
            keep_examples=_examples(r, "keep"),
        )
        for r in data.get("line") or []
    )
    block_rules = tuple(
        BlockRule(
            str(r["name"]),
            compile_(r["pattern"]),
            int(r.get("max_words", 14)),
            guard=bool(r.get("guard", True)),
            remove_examples=_examples(r, "remove"),
            keep_examples=_examples(r, "keep"),
        )
        for r in data.get("block") or []
    )
    return RuleSet(str(data.get("language", "")), line_rules, block_rules)


def _rule_file(name: str) -> dict[str, Any] | None:
    path = resources.files("transforms").joinpath(f"rules/{name}")
    if not path.is_file():
        return None
    data = yaml.safe_load(path.read_text("utf-8"))
    return data if isinstance(data, dict) else None


@lru_cache(maxsize=32)
def load_rules(language: str = "ar", source_id: str | None = None) -> RuleSet:
    """Rules shipped with the package for a language (falling back to Arabic, whose file also
    covers the Latin share-bar words), plus `rules/sources/<source_id>.yaml` when it exists.
    Cached: rule files are immutable package data."""
    data = _rule_file(f"boilerplate.{language}.yaml") or _rule_file("boilerplate.ar.yaml") or {}
    rules = parse_rules(data)
    if source_id and re.fullmatch(r"[A-Za-z0-9_.\-]+", source_id):
        extra = _rule_file(f"sources/{source_id}.yaml")
        if extra:
            rules = rules.merged(parse_rules(extra))
    return rules


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
