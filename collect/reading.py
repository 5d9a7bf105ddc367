"""Reading input bytes within the input budget (core.settings.InputBudget).

Every local input is read through here: only regular files inside the input tree are opened (a
FIFO, a device or a socket is refused without blocking; a symbolic link that leads outside the
folder it was found in is refused unless the budget follows links), and no read takes more than
the budget allows, whatever the file's size says (`st_size` of a device is 0, a file may grow
while it is read) and whatever a compressed stream expands to. An overrun or a damaged stream is
an `InputRefused` with the reject reason and a one-line detail; the caller turns it into a reject.
"""

from __future__ import annotations

import json
import os
import stat
import zlib
from collections.abc import Iterator
from typing import IO, Any

from core.settings import InputBudget, size_text

CHUNK = 1 << 20  # bytes per read() call of a bounded read


class InputRefused(Exception):  # a refusal with a reject reason, not a program error
    """The input (or one document of it) is refused: `reason` is the reject reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def too_large(what: str, cap: int) -> InputRefused:
    return InputRefused(
        "too_large", f"{what} is larger than the limit of {size_text(cap)} per document (load.max_document_bytes)"
    )


# -- which files may be read -------------------------------------------------------------------


def file_kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def inside(path: str, root: str) -> bool:
    """Is `path` (resolved) `root` itself or below it (both resolved)?"""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def check_entry(path: str, root: str, budget: InputBudget) -> None:
    """Refuse, without opening it, what is not a regular file inside `root`: `not_a_file` for a
    FIFO, device, socket or a dangling link, `outside_input` for a symbolic link (of the file or
    of a folder on the way) that leads outside `root` (unless the budget follows links)."""
    if root and not budget.follow_symlinks:
        real = os.path.realpath(path)
        if not inside(real, os.path.realpath(root)):
            raise InputRefused(
                "outside_input",
                f"a symbolic link to {real}, outside the input folder {root} (pass --follow-symlinks to read it)",
            )
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise InputRefused("not_a_file", f"a symbolic link to {os.readlink(path)!r}, which does not exist") from None
        raise
    if not stat.S_ISREG(st.st_mode):
        raise InputRefused("not_a_file", f"{file_kind(st.st_mode)}, not a regular file: only regular files are read")


def open_input(path: str, root: str, budget: InputBudget) -> IO[bytes]:
    """The file opened for reading, if it is a regular file inside `root` (see check_entry). It
    is opened non-blocking and checked again on the open descriptor, so a FIFO put in its place
    after the check never blocks the reader."""
    check_entry(path, root, budget)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise InputRefused("not_a_file", f"{file_kind(st.st_mode)}, not a regular file: only regular files are read")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb", buffering=CHUNK)
    except BaseException:
        os.close(fd)
        raise


# -- bounded reads -------------------------------------------------------------------------------


def read_capped(fh: IO[bytes], cap: int, what: str = "the document", hint: int = 0) -> bytes:
    """Everything `fh` gives, or `too_large` as soon as it gives more than `cap` bytes (never more
    than `cap` + one chunk is held). `hint`: the expected size (st_size), used only to size the
    first read."""
    first = min(max(hint, 0) + 1, cap + 1) if hint > 0 else min(CHUNK, cap + 1)
    parts: list[bytes] = []
    total = 0
    want = first
    while True:
        chunk = fh.read(want)
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
        if total > cap:
            raise too_large(what, cap)
        want = min(CHUNK, cap + 1 - total)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def read_file(path: str, root: str, budget: InputBudget) -> bytes:
    """A whole one-document file (.txt, .html), within the budget."""
    with open_input(path, root, budget) as fh:
        hint = os.fstat(fh.fileno()).st_size
        return read_capped(fh, budget.max_document_bytes, "the file", hint)


def read_line(fh: IO[bytes], cap: int) -> tuple[bytes, bool]:
    """One line (with its newline) of at most `cap` bytes: (line, True); a longer line is skipped
    to its end, reading at most one chunk at a time: (first bytes, False)."""
    line = fh.readline(cap + 1)
    if len(line) <= cap or line.endswith(b"\n"):
        return line, True
    while True:
        rest = fh.readline(CHUNK)
        if not rest or rest.endswith(b"\n"):
            return line[:200], False


def skip_lines(fh: IO[bytes], cap: int) -> Iterator[tuple[int, bool]]:
    """(length, fits) of every line, reading at most one chunk at a time (for planning)."""
    while True:
        line = fh.readline(cap + 1)
        if not line:
            return
        if len(line) <= cap or line.endswith(b"\n"):
            yield len(line), True
            continue
        size = len(line)
        while True:
            rest = fh.readline(CHUNK)
            size += len(rest)
            if not rest or rest.endswith(b"\n"):
                break
        yield size, False


# -- JSON ------------------------------------------------------------------------------------------


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    record = dict(pairs)
    if len(record) != len(pairs):
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen:
                raise _DuplicateKey(f"the key {name!r} appears twice in one object: which value counts is ambiguous")
            seen.add(name)
    return record


_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates)


def json_depth(value: Any) -> int:
    """Nesting depth of parsed JSON (a scalar is 0, [] or {} is 1), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
            deepest = max(deepest, depth + 1)
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
            deepest = max(deepest, depth + 1)
    return deepest


def parse_json_line(line: bytes, max_depth: int) -> Any:
    """One jsonl line parsed: `bad_json` (not JSON, a duplicate key, a number too long to convert)
    or `too_deep` (more nesting than `max_depth`) as an InputRefused."""
    opening = line.count(b"[") + line.count(b"{")
    try:
        value = _DECODER.decode(line.decode("utf-8"))
    except RecursionError:
        raise InputRefused("too_deep", f"the line nests arrays/objects deeper than {max_depth} levels") from None
    except _DuplicateKey as err:
        raise InputRefused("bad_json", str(err)) from None
    except (ValueError, UnicodeDecodeError) as err:
        raise InputRefused("bad_json", f"the line is not valid JSON: {err}") from None
    if opening > max_depth and json_depth(value) > max_depth:
        raise InputRefused("too_deep", f"the line nests arrays/objects deeper than {max_depth} levels")
    return value


# -- decompression --------------------------------------------------------------------------------


def damaged(err: BaseException, what: str = "compressed data") -> InputRefused:
    """A decompression error as the file's reject."""
    text = str(err) or type(err).__name__
    return InputRefused("unreadable", f"the {what} is damaged: {type(err).__name__}: {text}"[:300])


DECOMPRESS_ERRORS = (zlib.error, EOFError, OSError, ValueError)
