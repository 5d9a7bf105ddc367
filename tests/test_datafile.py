"""The one typed loader of rule, data and config files: an unknown key, a missing key or a value
of the wrong type fails loudly, naming the file, the key path and what was expected."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import pytest

from core import datafile
from core.datafile import DataFileError
from transforms.actors import AliasesFile
from transforms.clean import RuleFile
from transforms.dates import DatesFile
from transforms.figures import FiguresFile
from transforms.headings import HeadingsFile
from transforms.numbers_ar import NumbersFile
from transforms.people import PeopleFile
from transforms.places import PlaceRulesFile


@dataclass(frozen=True)
class Item:
    name: str
    size: int = 1
    kind: Literal["a", "b"] = "a"
    self_: tuple[str, ...] = field(default=(), metadata=datafile.key("self"))

    def __post_init__(self) -> None:
        if self.size > 9:
            raise datafile.Invalid("size", "must be at most 9")


@dataclass(frozen=True)
class Doc:
    items: tuple[Item, ...]
    table: dict[int, list[str]] = field(default_factory=dict)
    ratio: float = 0.5
    note: str | None = None
    pair: tuple[int, int] = (0, 0)
    extra: dict[str, Any] = field(default_factory=dict)


def test_a_good_document_becomes_typed_values() -> None:
    doc = datafile.parse(
        {"items": [{"name": "x", "self": ["s"]}, {"name": "y", "size": 3, "kind": "b"}], "table": {1: ["a"]}, "ratio": 1,
         "note": None, "pair": [1, 2], "extra": {"k": [1]}},
        Doc,
    )
    assert doc.items == (Item("x", self_=("s",)), Item("y", 3, "b"))
    assert doc.table == {1: ["a"]} and doc.ratio == 1.0 and isinstance(doc.ratio, float)
    assert doc.pair == (1, 2) and doc.note is None and doc.extra == {"k": [1]}


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"itemz": []}, "itemz: unknown key (did you mean 'items'?)"),
        ({}, "the top level: missing key 'items'"),
        ({"items": [{"name": "x", "sise": 2}]}, "items[0].sise: unknown key (did you mean 'size'?)"),
        ({"items": [{"name": 3}]}, "items[0].name: expected a string, got the number 3"),
        ({"items": [{"name": "x", "size": True}]}, "items[0].size: expected a whole number, got true"),
        ({"items": [{"name": "x", "size": 10}]}, "items[0].size: must be at most 9"),
        ({"items": [{"name": "x", "kind": "c"}]}, "items[0].kind: expected one of 'a', 'b', got the string 'c'"),
        ({"items": {"name": "x"}}, "items: expected a list of mappings with keys name, size, kind, self, got a mapping"),
        ({"items": [], "table": {"1": ["a"]}}, "table.1: expected a whole number, got the string '1'"),
        ({"items": [], "table": {1: "a"}}, "table.1: expected a list of strings, got the string 'a'"),
        ({"items": [], "ratio": "half"}, "ratio: expected a number, got the string 'half'"),
        ({"items": [], "pair": [1]}, "pair: expected a list of 2 items (a whole number, a whole number), got a list"),
        ({"items": [], "note": 5}, "note: expected a string, got the number 5"),
        ({"items": None}, "items: expected a list of mappings"),
    ],
)
def test_every_mistake_names_its_key_path(data: dict[str, Any], problem: str) -> None:
    with pytest.raises(DataFileError) as err:
        datafile.parse(data, Doc, "doc.yaml")
    assert str(err.value).startswith("doc.yaml")
    assert any(p.startswith(problem) for p in err.value.problems), err.value.problems


def test_all_problems_of_a_file_are_reported_together() -> None:
    with pytest.raises(DataFileError) as err:
        datafile.parse({"items": [{"name": 1}, {"name": "x", "size": "big"}], "colour": "red"}, Doc, "doc.yaml")
    assert len(err.value.problems) == 3
    assert str(err.value).startswith("doc.yaml is invalid:\n  ")


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="file not found"):
        datafile.load(tmp_path / "nope.yaml", Doc)
    bad = tmp_path / "bad.yaml"
    bad.write_text("items: [unclosed", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"bad\.yaml: not valid YAML"):
        datafile.load(bad, Doc)


SHIPPED = [
    ("rules/boilerplate.ar.yaml", RuleFile),
    ("rules/headings.yaml", HeadingsFile),
    ("rules/dates.yaml", DatesFile),
    ("data/numbers.ar.yaml", NumbersFile),
    ("data/figures.ar.yaml", FiguresFile),
    ("data/aliases.yaml", AliasesFile),
    ("data/people.ar.yaml", PeopleFile),
    ("data/places.ar.yaml", PlaceRulesFile),
]


@pytest.mark.parametrize(("name", "schema"), SHIPPED, ids=[n for n, _ in SHIPPED])
def test_shipped_files_load_and_a_misspelt_key_in_them_fails_loudly(name: str, schema: type[Any], tmp_path: Path) -> None:
    datafile.load_package("transforms", name, schema)
    text = resources.files("transforms").joinpath(name).read_text("utf-8")
    first_key = next(line.split(":")[0] for line in text.splitlines() if line and line[0].isalpha())
    misspelt = tmp_path / Path(name).name
    misspelt.write_text(text.replace(f"\n{first_key}:", f"\n{first_key}x:", 1), encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        datafile.load(misspelt, schema)
    assert str(err.value).startswith(str(misspelt))
    assert any(p.startswith(f"{first_key}x: unknown key") for p in err.value.problems), err.value.problems


def test_a_misspelt_key_inside_a_rule_names_the_rule_and_key() -> None:
    text = resources.files("transforms").joinpath("rules/boilerplate.ar.yaml").read_text("utf-8")
    data = datafile.read_yaml(resources.files("transforms").joinpath("rules/boilerplate.ar.yaml"))
    data["line"][2]["patern"] = data["line"][2].pop("pattern")
    with pytest.raises(DataFileError) as err:
        datafile.parse(data, RuleFile, "transforms/rules/boilerplate.ar.yaml")
    assert "line[2].patern: unknown key (did you mean 'pattern'?)" in err.value.problems
    assert "line[2]: missing key 'pattern' (a string)" in err.value.problems
    assert text  # the file itself is untouched


def test_a_bad_regular_expression_is_reported_at_its_rule() -> None:
    with pytest.raises(DataFileError, match=r"line\[0\]\.pattern: not a valid regular expression"):
        datafile.parse({"line": [{"name": "x", "pattern": "(unclosed"}]}, RuleFile, "rules.yaml")
