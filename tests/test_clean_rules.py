"""One test per boilerplate rule of the language, from the examples written beside the rule in its
data file: every `remove` example is taken by that rule, every `keep` example survives all rules.
(A registered source's own rules: tests/test_registry.py.)"""

from __future__ import annotations

import pytest

from transforms.clean import BlockRule, LineRule, clean_document, load_rules, match_block_rule, match_line_rule

RULES = load_rules("ar")
ALL: list[LineRule | BlockRule] = [*RULES.line, *RULES.block]


def test_rule_names_are_unique_and_every_rule_has_examples() -> None:
    names = [r.name for r in ALL]
    assert len(names) == len(set(names))
    for rule in ALL:
        assert rule.remove_examples, f"{rule.name}: no `remove` examples"
        assert rule.keep_examples, f"{rule.name}: no `keep` examples"


@pytest.mark.parametrize("rule", ALL, ids=[r.name for r in ALL])
def test_rule_examples(rule: LineRule | BlockRule) -> None:
    for example in rule.remove_examples:
        taken = match_block_rule(example, RULES) if isinstance(rule, BlockRule) else match_line_rule(example, RULES)
        assert taken is not None and taken.name == rule.name, (rule.name, example, taken)
        # and in a document, between two paragraphs, the line goes with that rule
        doc = [
            "وقال التحالف في بيان إن العمليات مستمرة في دير الزور.",
            example,
            "وأضاف أن الحملة ستتوسع لتشمل الرقة والحسكة خلال الأيام المقبلة.",
        ]
        cleaned = clean_document(doc, RULES)
        assert [r.rule for r in cleaned.removed if r.line == example.strip()] == [rule.name], (rule.name, example)
    for example in rule.keep_examples:
        cleaned = clean_document([example], RULES)
        assert cleaned.text_lines == [example.strip()], (rule.name, example, cleaned.removed)


def test_unknown_language_falls_back_to_arabic_rules() -> None:
    assert load_rules("xx").line == RULES.line

    assert load_rules("../boilerplate").line == RULES.line  # a language is never a path
