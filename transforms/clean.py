"""Text-level boilerplate removal driven by rule files (transforms/rules/boilerplate.*.yaml).

Pure: lines in, kept lines plus an audit trail (`Removed`) out. Rules are data; this module only
knows the two rule kinds (`line` and `block`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import yaml

from transforms.normalize import search_form
from transforms.records import Removed

_SENTENCE_END = re.compile(r"[.!?؟…:\"”»]\s*$")


@dataclass(frozen=True, slots=True)
class LineRule:
    name: str
    pattern: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class BlockRule:
    name: str
    pattern: re.Pattern[str]
    max_words: int


@dataclass(frozen=True, slots=True)
class RuleSet:
    language: str
    line: tuple[LineRule, ...]
    block: tuple[BlockRule, ...]


@dataclass(slots=True)
class CleanResult:
    lines: list[str]
    removed: list[Removed] = field(default_factory=list)


def parse_rules(data: dict[str, object]) -> RuleSet:
    def compile_(p: object) -> re.Pattern[str]:
        return re.compile(str(p), re.IGNORECASE)

    line_rules = tuple(
        LineRule(str(r["name"]), compile_(r["pattern"]))
        for r in data.get("line", []) or []  # type: ignore[union-attr]  # YAML list of mappings
    )
    block_rules = tuple(
        BlockRule(str(r["name"]), compile_(r["pattern"]), int(r.get("max_words", 14)))
        for r in data.get("block", []) or []  # type: ignore[union-attr]  # YAML list of mappings
    )
    return RuleSet(str(data.get("language", "")), line_rules, block_rules)


@lru_cache(maxsize=8)
def load_rules(language: str = "ar") -> RuleSet:
    """Rules shipped with the package for a language (cached: rule files are immutable data)."""
    text = resources.files("transforms").joinpath(f"rules/boilerplate.{language}.yaml").read_text("utf-8")
    return parse_rules(yaml.safe_load(text))


def clean_lines(lines: list[str], rules: RuleSet) -> CleanResult:
    result = CleanResult(lines=[])
    in_block: BlockRule | None = None
    for no, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            result.lines.append("")
            continue
        key = search_form(stripped)
        if in_block is not None:
            words = len(key.split())
            if (words <= in_block.max_words and not _SENTENCE_END.search(stripped)) or any(
                b.pattern.search(key) for b in rules.block
            ):
                result.removed.append(Removed(no, stripped, in_block.name))
                continue
            in_block = None
        block = next((b for b in rules.block if b.pattern.search(key)), None)
        if block is not None:
            in_block = block
            result.removed.append(Removed(no, stripped, block.name))
            continue
        rule = next((r for r in rules.line if r.pattern.search(key)), None)
        if rule is not None:
            result.removed.append(Removed(no, stripped, rule.name))
            continue
        result.lines.append(stripped)
    return result
