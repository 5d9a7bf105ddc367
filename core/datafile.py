"""The one typed loader for YAML rule, data and config files.

A file's schema is a dataclass: a field per key, its annotation the type of the value, and a
default makes the key optional. `load` reads the YAML and builds the dataclass; an unknown key, a
missing key or a value of the wrong type is a `DataFileError` that names the file, the key path
(`line[3].pattern`, `months.13`) and what was expected, for every problem of the file at once.

Types understood: str, int, float (an int is accepted), bool, `X | None`, unions, Any,
Literal[...], list[X], tuple[X, ...], tuple[X, Y], dict[K, V] and nested dataclasses. A key that
is not a usable field name is given with `field(metadata=key("self"))`. A dataclass checks its
own values in `__post_init__` by raising `Invalid(key, message)` (or ValueError): the message is
reported at that key's path.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from collections.abc import Mapping
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Literal, TypeVar, Union, cast

import yaml

T = TypeVar("T")
KEY = "datafile_key"


class DataFileError(ValueError):
    """A data file that cannot be used: the message names the file, the key path and what was expected."""

    def __init__(self, where: str, problems: list[str]) -> None:
        self.where = where
        self.problems = problems
        text = f"{where}: {problems[0]}" if len(problems) == 1 else f"{where} is invalid:\n  " + "\n  ".join(problems)
        super().__init__(text)


class Invalid(ValueError):
    """Raised by a schema's `__post_init__`: the value of `key` is not acceptable."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def key(name: str) -> dict[str, str]:
    """Field metadata: the key of this field in the file, when it differs from the field's name."""
    return {KEY: name}


class _Bad:
    """The result of a value that failed its check (its problem is already recorded)."""


_BAD = _Bad()


def parse(data: Any, schema: type[T], where: str = "data") -> T:
    """`data` (parsed YAML or JSON) as an instance of the dataclass `schema`, or a DataFileError."""
    problems: list[str] = []
    if data is None and dataclasses.is_dataclass(schema):
        data = {}  # an empty file: every key absent
    value = _convert(data, schema, "", problems)
    if problems or isinstance(value, _Bad):
        raise DataFileError(where, problems or ["invalid"])
    return cast("T", value)


def read_yaml(source: Path | Traversable, where: str | None = None) -> Any:
    """The parsed YAML of a file; a missing, unreadable or malformed file is a DataFileError."""
    name = where or str(source)
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataFileError(name, ["file not found"]) from None
    except (OSError, UnicodeDecodeError) as err:
        raise DataFileError(name, [f"cannot read the file: {err}"]) from err
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise DataFileError(name, ["not valid YAML: " + " ".join(str(err).split())]) from err


def load(source: Path | Traversable | str, schema: type[T], where: str | None = None) -> T:
    """Read a YAML file and check it against `schema` (a dataclass)."""
    path = Path(source) if isinstance(source, str) else source
    name = where or str(path)
    return parse(read_yaml(path, name), schema, name)


def load_package(package: str, name: str, schema: type[T]) -> T:
    """A YAML file shipped inside a package (`load_package("transforms", "rules/dates.yaml", ...)`)."""
    return load(resources.files(package).joinpath(name), schema, f"{package}/{name}")


# -- checking ------------------------------------------------------------------------------------


def _join(path: str, part: object) -> str:
    if isinstance(part, int) and not isinstance(part, bool):
        return f"{path}[{part}]"
    return f"{path}.{part}" if path else str(part)


def _at(path: str) -> str:
    return path or "the top level"


def _got(value: object) -> str:
    if value is None or isinstance(value, bool):
        return {None: "nothing (null)", True: "true", False: "false"}[value]
    if isinstance(value, int | float | str):
        return f"the {'string' if isinstance(value, str) else 'number'} {value if not isinstance(value, str) else value[:40]!r}"
    if isinstance(value, list | dict):
        return "a list" if isinstance(value, list) else "a mapping"
    return type(value).__name__


def describe(tp: Any) -> str:  # noqa: PLR0911  # one return per kind of type
    """What a value of type `tp` looks like, in words."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return "anything"
    if origin in (Union, types.UnionType):
        return " or ".join("nothing (null)" if a is type(None) else describe(a) for a in args)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if dataclasses.is_dataclass(tp):
        return "a mapping with keys " + ", ".join(_keys(cast("type[Any]", tp)))
    if origin in (list, tuple) and (origin is list or (len(args) == 2 and args[1] is Ellipsis)):
        return f"a list of {_plural(args[0])}"
    if origin is tuple:
        return f"a list of {len(args)} items ({', '.join(describe(a) for a in args)})"
    if origin is dict:
        return f"a mapping of {_plural(args[0])} to {_plural(args[1])}"
    return {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}.get(tp, repr(tp))


def _plural(tp: Any) -> str:
    simple = {str: "strings", int: "whole numbers", float: "numbers", bool: "true/false values"}
    if dataclasses.is_dataclass(tp):
        return "mappings with keys " + ", ".join(_keys(cast("type[Any]", tp)))
    return simple.get(tp) or describe(tp)


_HINTS: dict[object, dict[str, Any]] = {}
_KEYS: dict[object, dict[str, dataclasses.Field[Any]]] = {}


def _hints(schema: type[Any]) -> dict[str, Any]:
    if schema not in _HINTS:
        _HINTS[schema] = typing.get_type_hints(schema)
    return _HINTS[schema]


def _keys(schema: type[Any]) -> dict[str, dataclasses.Field[Any]]:
    """The keys of a schema, with their fields (a field's key is its name unless `key(...)` says)."""
    if schema not in _KEYS:
        _KEYS[schema] = {f.metadata.get(KEY, f.name): f for f in dataclasses.fields(schema) if f.init}
    return _KEYS[schema]


def _convert(value: Any, tp: Any, path: str, problems: list[str]) -> Any:  # noqa: PLR0911  # one return per kind of type
    if tp is Any:
        return value
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (Union, types.UnionType):
        return _union(value, args, path, problems)
    if origin is Literal:
        if any(value == a and type(value) is type(a) for a in args):
            return value
        return _wrong(value, tp, path, problems)
    if dataclasses.is_dataclass(tp):
        return _dataclass(value, cast("type[Any]", tp), path, problems)
    if origin is list or origin is tuple:
        return _sequence(value, tp, path, problems)
    if origin is dict:
        return _mapping(value, args, tp, path, problems)
    if tp is bool:
        return value if isinstance(value, bool) else _wrong(value, tp, path, problems)
    if tp is int:
        return value if isinstance(value, int) and not isinstance(value, bool) else _wrong(value, tp, path, problems)
    if tp is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return float(value) if ok else _wrong(value, tp, path, problems)
    if tp is str:
        return value if isinstance(value, str) else _wrong(value, tp, path, problems)
    raise TypeError(f"datafile cannot check values of type {tp!r}")  # a schema mistake, not a data one


def _wrong(value: Any, tp: Any, path: str, problems: list[str]) -> _Bad:
    problems.append(f"{_at(path)}: expected {describe(tp)}, got {_got(value)}")
    return _BAD


def _union(value: Any, args: tuple[Any, ...], path: str, problems: list[str]) -> Any:
    if value is None and type(None) in args:
        return None
    options = [a for a in args if a is not type(None)]
    if len(options) == 1:
        return _convert(value, options[0], path, problems)
    for option in options:
        attempt: list[str] = []
        got = _convert(value, option, path, attempt)
        if not attempt:
            return got
    problems.append(f"{_at(path)}: expected {' or '.join(describe(a) for a in args)}, got {_got(value)}")
    return _BAD


def _sequence(value: Any, tp: Any, path: str, problems: list[str]) -> Any:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if not isinstance(value, list):
        return _wrong(value, tp, path, problems)
    if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
        if len(value) != len(args):
            return _wrong(value, tp, path, problems)
        items = [_convert(v, a, _join(path, i), problems) for i, (v, a) in enumerate(zip(value, args, strict=True))]
    else:
        items = [_convert(v, args[0], _join(path, i), problems) for i, v in enumerate(value)]
    if any(isinstance(i, _Bad) for i in items):
        return _BAD
    return tuple(items) if origin is tuple else items


def _mapping(value: Any, args: tuple[Any, ...], tp: Any, path: str, problems: list[str]) -> Any:
    if not isinstance(value, dict):
        return _wrong(value, tp, path, problems)
    out: dict[Any, Any] = {}
    bad = False
    for k, v in value.items():
        where = f"{path}.{k}" if path else str(k)
        got_key = _convert(k, args[0], where, problems)
        got = _convert(v, args[1], where, problems)
        if isinstance(got_key, _Bad) or isinstance(got, _Bad):
            bad = True
            continue
        out[got_key] = got
    return _BAD if bad else out


def _dataclass(value: Any, schema: type[Any], path: str, problems: list[str]) -> Any:
    known = _keys(schema)
    if not isinstance(value, Mapping):
        return _wrong(value, schema, path, problems)
    before = len(problems)
    for name in value:
        if name not in known:
            close = difflib.get_close_matches(str(name), list(known), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(known)})"
            problems.append(f"{_join(path, name)}: unknown key{hint}")
    hints = _hints(schema)
    kwargs: dict[str, Any] = {}
    for name, f in known.items():
        if name in value:
            kwargs[f.name] = _convert(value[name], hints[f.name], _join(path, name), problems)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            problems.append(f"{_at(path)}: missing key {name!r} ({describe(hints[f.name])})")
    if len(problems) > before:
        return _BAD
    try:
        return schema(**kwargs)
    except Invalid as err:  # the dataclass's own check of one value
        problems.append(f"{_join(path, err.key)}: {err}")
        return _BAD
    except ValueError as err:  # ... or of several
        problems.append(f"{_at(path)}: {err}")
        return _BAD
