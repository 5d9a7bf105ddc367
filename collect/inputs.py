"""Local inputs: discover files, cut them into slices of a few dozen documents, read a slice.

Kinds: .txt (plain text), .html/.htm, .jsonl (one article per line), .warc/.warc.gz (HTTP
responses, e.g. our own fetch archive). A slice is small and picklable (paths and offsets, never
content) so it can travel to a worker process.

Every read goes through collect/reading.py within the load's InputBudget: only regular files
inside the input tree, bounded reads, bounded decompression, bounded JSON nesting, a bounded
number of lines per file. Whatever goes wrong with one input (an overrun, a damaged stream, any
exception of a parser) is a `Rejected` item with its reason; reading never raises for bad input.
"""

from __future__ import annotations

import gzip
import os
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from collect.reading import (
    DECOMPRESS_ERRORS,
    InputRefused,
    check_entry,
    damaged,
    inside,
    open_input,
    parse_json_line,
    read_file,
    read_line,
    skip_lines,
    too_large,
)
from core.settings import InputBudget
from transforms.records import RawDocument

DEFAULT_BUDGET = InputBudget()

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


class InputError(ValueError):
    """A PATH given by the user does not exist or cannot be read (fatal, one-line message)."""


@dataclass(frozen=True, slots=True)
class InputFile:
    """A file found under a PATH: `root` is the folder PATH it was found in ("" for a file named
    itself); a symbolic link may not lead outside it (unless links are followed)."""

    path: Path
    root: str = ""


@dataclass(frozen=True, slots=True)
class InputUnit:
    path: str
    kind: str  # txt | html | jsonl | warc | unsupported | refused
    offset: int = 0  # jsonl: byte offset of the first line
    lines: int = 0  # jsonl: number of lines in this unit (-1: to the end, a compressed file)
    first_line: int = 0  # jsonl: 1-based number of the first line
    root: str = ""  # the input folder the file was found in (InputFile.root)
    refusal: tuple[str, str] | None = None  # refused: (reason, detail) of its one reject
    ref: str = ""  # refused: the reject's input_ref (default: the path)

    @property
    def documents(self) -> int:
        return self.lines if self.kind == "jsonl" else 1

    def line_ref(self, index: int) -> str:
        """input_ref of the index-th (0-based) document of this unit when it could not be read."""
        if self.kind == "jsonl":
            return f"{self.path}#L{self.first_line + index}"
        if self.kind == "refused":
            return self.ref or self.path
        return self.path if index == 0 or self.kind != "warc" else f"{self.path}#record{index + 1}"


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


def discover(paths: Iterable[str | os.PathLike[str]], *, follow_symlinks: bool = False) -> list[InputFile]:
    """Files under the given paths, sorted for a stable order. Hidden files are skipped inside
    folders; a missing PATH is an InputError. Everything else found is listed, whatever it is (a
    FIFO, a device, a link out of the folder): planning makes it a reject with its reason. Linked
    folders are followed only with `follow_symlinks` (each real folder once); without it, a
    linked folder inside the tree is already walked, and one that leads out is listed (and
    refused as outside_input)."""
    found: list[InputFile] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists() and not path.is_symlink():
            raise InputError(f"no such file or folder: {raw}")
        if path.is_dir():
            root = str(path)
            real_root = os.path.realpath(path)
            seen = {real_root}
            try:
                for folder, dirs, files in os.walk(path, followlinks=follow_symlinks):
                    keep = []
                    for d in sorted(d for d in dirs if not d.startswith(".")):
                        full = os.path.join(folder, d)
                        if not os.path.islink(full):
                            keep.append(d)
                            continue
                        real = os.path.realpath(full)
                        if follow_symlinks and real not in seen:
                            seen.add(real)
                            keep.append(d)
                        elif not follow_symlinks and not inside(real, real_root):
                            found.append(InputFile(Path(full), root))  # refused when planned: outside_input
                    dirs[:] = keep
                    found.extend(InputFile(Path(folder) / f, root) for f in sorted(files) if not f.startswith("."))
            except OSError as err:
                raise InputError(f"cannot read folder {raw}: {err.strerror}") from err
        else:
            found.append(InputFile(path))  # a file named itself (or a FIFO, a device: refused when planned)
    return found


def _jsonl_units(path: Path, root: str, lines_per_unit: int, budget: InputBudget) -> Iterator[InputUnit]:
    if path.name.lower().endswith(".gz"):  # offsets into a gzip stream are not seekable: one unit per file
        yield InputUnit(str(path), "jsonl", 0, -1, 1, root)
        return
    offset = start = 0
    count = 0
    line_no = 1
    with open_input(str(path), root, budget) as fh:
        for size, _fits in skip_lines(fh, budget.max_document_bytes):  # a long line is the reader's too_large
            if line_no + count > budget.max_lines_per_file:
                if count:
                    yield InputUnit(str(path), "jsonl", start, count, line_no, root)
                yield too_many_lines(path, line_no + count, budget)
                return
            if count == 0:
                start = offset
            offset += size
            count += 1
            if count == lines_per_unit:
                yield InputUnit(str(path), "jsonl", start, count, line_no, root)
                line_no += count
                count = 0
    if count:
        yield InputUnit(str(path), "jsonl", start, count, line_no, root)


def too_many_lines(path: Path | str, first_unread: int, budget: InputBudget, what: str = "lines") -> InputUnit:
    """The one reject for what a file holds beyond max_lines_per_file."""
    return InputUnit(
        str(path), "refused", root="", ref=f"{path}#L{first_unread}",
        refusal=("too_many_lines", f"the file has more than {budget.max_lines_per_file} {what} (load.max_lines_per_file); "
                                   f"{what} from {first_unread} on were not read"),
    )


def plan_units(
    files: Iterable[InputFile | Path], lines_per_unit: int = 50, budget: InputBudget = DEFAULT_BUDGET
) -> Iterator[InputUnit]:
    """The units of the files; a file that may not be read (not a regular file, a link out of its
    folder) is one `refused` unit, its reject."""
    for item in files:
        found = item if isinstance(item, InputFile) else InputFile(item)
        path, root = found.path, found.root
        kind = kind_of(path)
        try:
            if kind == "jsonl":
                yield from _jsonl_units(path, root, lines_per_unit, budget)
            else:
                check_entry(str(path), root, budget)
                yield InputUnit(str(path), kind, root=root)
        except InputRefused as err:
            yield InputUnit(str(path), "refused", root=root, refusal=(err.reason, err.detail))
        except OSError:
            yield InputUnit(str(path), kind, 0, 1, 1, root)  # the reader reports the error


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


def plan_batches(
    files: Iterable[InputFile | Path], batch_size: int, docs_per_slice: int, budget: InputBudget = DEFAULT_BUDGET
) -> list[list[Slice]]:
    """The files cut into batches (one commit each) of slices (one worker call each): about
    `batch_size` documents per batch, `docs_per_slice` per slice."""
    batches: list[list[Slice]] = []
    current: list[Slice] = []
    size = 0
    for sl in group_slices(plan_units(files, budget=budget), docs_per_slice):
        current.append(sl)
        size += sum(max(u.documents, 1) for u in sl)
        if size >= batch_size:
            batches.append(current)
            current, size = [], 0
    if current:
        batches.append(current)
    return batches


# -- reading ----------------------------------------------------------------------------------


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


def _jsonl_line(line: bytes, fits: bool, ref: str, budget: InputBudget) -> RawDocument | Rejected:
    if not fits:
        return Rejected(ref, "too_large", too_large("the line", budget.max_document_bytes).detail)
    if not line.strip():
        return Rejected(ref, "empty", "the line is blank")
    try:
        record = parse_json_line(line, budget.max_json_depth)
    except InputRefused as err:
        return Rejected(ref, err.reason, err.detail)
    return jsonl_record(record, ref)


def _read_jsonl(unit: InputUnit, budget: InputBudget) -> Iterator[RawDocument | Rejected]:
    cap = budget.max_document_bytes
    with open_input(unit.path, unit.root, budget) as raw:
        if unit.lines >= 0:
            raw.seek(unit.offset)
            for i in range(unit.lines):
                line, fits = read_line(raw, cap)
                yield _jsonl_line(line, fits, f"{unit.path}#L{unit.first_line + i}", budget)
            return
        fh = cast("IO[bytes]", gzip.GzipFile(fileobj=raw, mode="rb"))
        line_no = unit.first_line
        while True:
            try:
                line, fits = read_line(fh, cap)
            except DECOMPRESS_ERRORS as err:  # the lines before the damage are kept
                yield Rejected(unit.path, "unreadable", damaged(err, "gzip data").detail)
                return
            if not line:
                return
            if line_no > budget.max_lines_per_file:
                refused = too_many_lines(unit.path, line_no, budget)
                assert refused.refusal is not None
                yield Rejected(refused.ref, *refused.refusal)
                return
            yield _jsonl_line(line, fits, f"{unit.path}#L{line_no}", budget)
            line_no += 1


def _read_warc(unit: InputUnit, budget: InputBudget) -> Iterator[RawDocument | Rejected]:
    from collect.warc import read_warc  # noqa: PLC0415  # warcio is only imported for WARC input

    yield from read_warc(Path(unit.path), unit.root, budget)


def read_unit(unit: InputUnit, budget: InputBudget = DEFAULT_BUDGET) -> Iterator[RawDocument | Rejected]:
    """The documents of one unit, with the source id the input itself names (if any). Errors
    become Rejected items; nothing raises for bad input (whatever the exception: the unit ends
    with one reject saying what it was)."""
    path = Path(unit.path)
    try:
        if unit.kind == "refused":
            reason, detail = unit.refusal or ("unreadable", "the input cannot be read")
            yield Rejected(unit.ref or unit.path, reason, detail)
        elif unit.kind == "unsupported":
            yield Rejected(unit.path, "unsupported_type", f"files named like {path.name!r} are not a supported input type")
        elif unit.kind == "jsonl":
            yield from _read_jsonl(unit, budget)
        elif unit.kind == "warc":
            yield from _read_warc(unit, budget)
        else:
            data = read_file(unit.path, unit.root, budget)
            yield RawDocument(
                input_ref=unit.path,
                content=data,
                media_type="html" if unit.kind == "html" else "text",
            )
    except InputRefused as err:
        yield Rejected(unit.path, err.reason, err.detail)
    except FileNotFoundError:
        yield Rejected(unit.path, "unreadable", "the file disappeared before it was read")
    except (OSError, EOFError, gzip.BadGzipFile) as err:
        yield Rejected(unit.path, "unreadable", f"cannot read the input: {err}")
    except MemoryError:
        yield Rejected(unit.path, "too_large", "reading the input ran out of memory")
    except Exception as err:  # noqa: BLE001  # whatever a reader raises is this input's reject, never the batch's
        where = traceback.extract_tb(err.__traceback__)[-1]
        detail = f"{type(err).__name__}: {err} (at {where.filename.rsplit('/', 1)[-1]}:{where.lineno})"
        yield Rejected(unit.path, "unreadable", f"cannot read the input: {detail}"[:500])
