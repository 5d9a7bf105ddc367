"""Local inputs: discover files, cut them into slices of a few dozen documents, read a slice.

Kinds: .txt (plain text), .html/.htm, .jsonl (one article per line), .warc/.warc.gz (HTTP
responses, e.g. our own fetch archive). A slice is small and picklable (paths and offsets, never
content) so it can travel to a worker process.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from transforms.records import RawDocument

SUFFIX_KINDS = {
    ".txt": "txt",
    ".text": "txt",
    ".html": "html",
    ".htm": "html",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".warc": "warc",
    ".warc.gz": "warc",
    ".jsonl.gz": "jsonl",
}
MAX_FILE_BYTES = 64 * 1024 * 1024  # a single document larger than this is refused, not read


class InputError(ValueError):
    """A PATH given by the user does not exist or cannot be read (fatal, one-line message)."""


@dataclass(frozen=True, slots=True)
class InputUnit:
    path: str
    kind: str  # txt | html | jsonl | warc | unsupported
    offset: int = 0  # jsonl: byte offset of the first line
    lines: int = 0  # jsonl: number of lines in this unit
    first_line: int = 0  # jsonl: 1-based number of the first line

    @property
    def documents(self) -> int:
        return self.lines if self.kind == "jsonl" else 1


@dataclass(frozen=True, slots=True)
class Rejected:
    """An input that failed before it became a RawDocument (unreadable file, bad JSON line...)."""

    input_ref: str
    reason: str
    detail: str


def kind_of(path: Path) -> str:
    name = path.name.lower()
    for suffix in sorted(SUFFIX_KINDS, key=len, reverse=True):
        if name.endswith(suffix):
            return SUFFIX_KINDS[suffix]
    return "unsupported"


def discover(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Files under the given paths, sorted for a stable order. Hidden files are skipped inside
    folders; a missing PATH is an InputError."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputError(f"no such file or folder: {raw}")
        if path.is_dir():
            try:
                for root, dirs, files in os.walk(path):
                    dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                    found.extend(Path(root) / f for f in sorted(files) if not f.startswith("."))
            except OSError as err:
                raise InputError(f"cannot read folder {raw}: {err.strerror}") from err
        elif path.is_file():
            found.append(path)
        else:
            raise InputError(f"not a regular file or folder: {raw}")
    return found


def _jsonl_units(path: Path, lines_per_unit: int) -> Iterator[InputUnit]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    if opener is gzip.open:  # offsets into a gzip stream are not seekable: one unit per file
        yield InputUnit(str(path), "jsonl", 0, -1, 1)
        return
    offset = start = 0
    count = 0
    line_no = 1
    with open(path, "rb") as fh:
        for line in fh:
            if count == 0:
                start = offset
            offset += len(line)
            count += 1
            if count == lines_per_unit:
                yield InputUnit(str(path), "jsonl", start, count, line_no)
                line_no += count
                count = 0
    if count:
        yield InputUnit(str(path), "jsonl", start, count, line_no)


def plan_units(files: Iterable[Path], lines_per_unit: int = 50) -> Iterator[InputUnit]:
    for path in files:
        kind = kind_of(path)
        if kind == "jsonl":
            try:
                yield from _jsonl_units(path, lines_per_unit)
            except OSError:
                yield InputUnit(str(path), "jsonl", 0, 1, 1)  # the reader reports the error
        else:
            yield InputUnit(str(path), kind)


def group_slices(units: Iterable[InputUnit], docs_per_slice: int) -> Iterator[tuple[InputUnit, ...]]:
    """Group units into slices of about docs_per_slice documents (a jsonl unit is its own slice)."""
    current: list[InputUnit] = []
    size = 0
    for unit in units:
        if unit.kind == "jsonl":
            yield (unit,)
            continue
        current.append(unit)
        size += unit.documents
        if size >= docs_per_slice:
            yield tuple(current)
            current, size = [], 0
    if current:
        yield tuple(current)


Slice = tuple[InputUnit, ...]


def plan_batches(files: Iterable[Path], batch_size: int, docs_per_slice: int) -> list[list[Slice]]:
    """The files cut into batches (one commit each) of slices (one worker call each): about
    `batch_size` documents per batch, `docs_per_slice` per slice."""
    batches: list[list[Slice]] = []
    current: list[Slice] = []
    size = 0
    for sl in group_slices(plan_units(files), docs_per_slice):
        current.append(sl)
        size += sum(max(u.documents, 1) for u in sl)
        if size >= batch_size:
            batches.append(current)
            current, size = [], 0
    if current:
        batches.append(current)
    return batches


# -- reading ----------------------------------------------------------------------------------


def _read_file(path: Path) -> bytes:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise OSError(f"file is {size} bytes; the limit for one document is {MAX_FILE_BYTES}")
    return path.read_bytes()


def _str_field(record: dict[str, Any], name: str) -> str | None:
    value = record.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise TypeError(f"field {name!r} must be a string, got {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as err:  # JSON allows "\ud800"; no UTF-8 store does
        raise TypeError(f"field {name!r} holds a lone surrogate at {err.start}: not valid Unicode text") from None
    return value


def jsonl_record(record: Any, input_ref: str) -> RawDocument | Rejected:
    """One jsonl line, already parsed: fields url, title, text or html, published_at,
    source_id (also accepted: content for text, date/date_extracted for published_at,
    source for source_id, outlet)."""
    if not isinstance(record, dict):
        return Rejected(input_ref, "bad_json", f"the line is JSON {type(record).__name__}, not an object")
    try:
        html = _str_field(record, "html")
        text = _str_field(record, "text") or _str_field(record, "content")
        if html is None and text is None:
            return Rejected(input_ref, "no_text_field", "the line has neither a 'text' nor an 'html' field")
        url = _str_field(record, "url")
        published = _str_field(record, "published_at") or _str_field(record, "date")
        source = _str_field(record, "source_id") or _str_field(record, "source")
        title = _str_field(record, "title")
        outlet = _str_field(record, "outlet")
    except TypeError as err:
        return Rejected(input_ref, "bad_field", str(err))
    body = html if html is not None else text
    assert body is not None
    return RawDocument(
        input_ref=url or input_ref,
        content=body.encode("utf-8"),
        media_type="html" if html is not None else "text",
        source_id=source,
        url=url,
        title=title,
        published_at=published,
        outlet=outlet,
    )


def _read_jsonl(unit: InputUnit) -> Iterator[RawDocument | Rejected]:
    path = Path(unit.path)
    if path.name.lower().endswith(".gz"):
        fh: Any = gzip.open(path, "rb")  # noqa: SIM115  # closed in the finally below
        lines: Iterable[bytes] = fh
    else:
        fh = open(path, "rb")  # noqa: SIM115  # closed below
        fh.seek(unit.offset)
        lines = (fh.readline() for _ in range(unit.lines))
    try:
        for i, line in enumerate(lines):
            ref = f"{unit.path}#L{unit.first_line + i}"
            if not line.strip():
                yield Rejected(ref, "empty", "the line is blank")
                continue
            try:
                record = json.loads(line)
            except (ValueError, UnicodeDecodeError) as err:
                yield Rejected(ref, "bad_json", f"the line is not valid JSON: {err}")
                continue
            yield jsonl_record(record, ref)
    finally:
        fh.close()


def _read_warc(unit: InputUnit) -> Iterator[RawDocument | Rejected]:
    from collect.warc import read_warc  # noqa: PLC0415  # warcio is only imported for WARC input

    yield from read_warc(Path(unit.path))


def read_unit(unit: InputUnit) -> Iterator[RawDocument | Rejected]:
    """The documents of one unit, with the source id the input itself names (if any). Errors
    become Rejected items; nothing raises for bad input."""
    path = Path(unit.path)
    try:
        if unit.kind == "unsupported":
            yield Rejected(unit.path, "unsupported_type", f"files named like {path.name!r} are not a supported input type")
        elif unit.kind == "jsonl":
            yield from _read_jsonl(unit)
        elif unit.kind == "warc":
            yield from _read_warc(unit)
        else:
            data = _read_file(path)
            yield RawDocument(
                input_ref=unit.path,
                content=data,
                media_type="html" if unit.kind == "html" else "text",
            )
    except (OSError, EOFError, gzip.BadGzipFile) as err:
        yield Rejected(unit.path, "unreadable", f"cannot read the input: {err}")
