"""Printing query results and run summaries (table, csv, json).

Stored text is data, not terminal commands: control characters (C0 and C1, DEL, ESC) and the
bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069) are written as visible
escapes (`\\x1b`, `\\u202e`) in the table and csv formats (csv keeps line breaks and tabs inside
its quoted fields) and as `\\uXXXX` in json, so a stored title cannot clear a terminal, move the
cursor or reverse the order of what follows it.

`write` streams: rows arrive in batches and are printed as they come (csv, json); the table
format holds at most `limit` rows (it needs their widths) and counts the rest.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TextIO

_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_TABLE_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # json.dumps escapes C0 itself


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str, *, table: bool = False) -> str:
    """Control characters and bidi overrides as visible escapes (line breaks and tabs are kept
    unless `table`)."""
    return (_TABLE_CONTROLS if table else _CONTROLS).sub(_escape, text)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def _json_object(columns: Sequence[str], row: Sequence[Any]) -> str:
    text = json.dumps({c: _jsonable(v) for c, v in zip(columns, row, strict=True)}, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)  # only inside strings: still valid JSON


def to_json(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    return "[" + ", ".join(_json_object(columns, row) for row in rows) + "]"


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    plain = _jsonable(value)
    if isinstance(plain, list | dict):
        plain = str(plain)
    return escape_controls(plain) if isinstance(plain, str) else plain


def to_csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([escape_controls(c) for c in columns])
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return buf.getvalue()


def _cell(value: Any, width: int) -> str:
    text = "NULL" if value is None else str(_jsonable(value))
    text = escape_controls(text.replace("\r\n", "\n").replace("\n", " ⏎ "), table=True)
    return text if len(text) <= width else text[: width - 1] + "…"


def to_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], max_width: int = 60, more: int = 0) -> str:
    """The rows as a text table; `more`: rows of the result left out (said after the count)."""
    heads = [escape_controls(c, table=True) for c in columns]
    cells = [[_cell(v, max_width) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(heads)]
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    out = [line, "| " + " | ".join(c.ljust(w) for c, w in zip(heads, widths, strict=True)) + " |", line]
    out += ["| " + " | ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) + " |" for r in cells]
    out.append(line)
    count = f"({len(rows)} row{'s' if len(rows) != 1 else ''}"
    if more:
        count += f"; {more} more row{'s' if more != 1 else ''}: use --limit N (0 for all) or --format csv"
    out.append(count + ")")
    return "\n".join(out)


def render(fmt: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    if fmt == "json":
        return to_json(columns, rows)
    if fmt == "csv":
        return to_csv(columns, rows).rstrip("\n")
    return to_table(columns, rows)


def write(
    fmt: str, columns: Sequence[str], batches: Iterable[Sequence[Sequence[Any]]], limit: int | None,
    out: TextIO | None = None,
) -> int:
    """Print a result as its batches arrive; at most `limit` rows (None or 0: all). The table
    format keeps at most `limit` rows in memory and says how many more the result had. Returns
    the number of rows printed."""
    out = out or sys.stdout
    cap = limit or None
    printed = 0
    more = 0
    held: list[Sequence[Any]] = []
    writer = csv.writer(out, lineterminator="\n")
    if fmt == "csv":
        writer.writerow([escape_controls(c) for c in columns])
    elif fmt == "json":
        out.write("[")
    for batch in batches:
        room = len(batch) if cap is None else max(0, cap - printed)
        shown, rest = batch[:room], len(batch) - min(room, len(batch))
        more += rest
        if not shown:
            if fmt != "table":
                break  # csv/json stop reading at the limit
            continue  # the table counts what it leaves out
        if fmt == "csv":
            writer.writerows([_csv_cell(v) for v in row] for row in shown)
        elif fmt == "json":
            out.write(("" if printed == 0 else ", ") + ", ".join(_json_object(columns, row) for row in shown))
        else:
            held.extend(shown)
        printed += len(shown)
    if fmt == "json":
        out.write("]\n")
    elif fmt == "table":
        out.write(to_table(columns, held, more=more) + "\n")
    out.flush()
    return printed
