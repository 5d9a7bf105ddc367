"""The input ledger: every local file a load read whole (path, size, mtime_ns, documents, and for a
one-document file its article or reject), recorded in the same commit as its batch.

A later load skips, before reading it, a file whose path, size and modification time (ns) match
its latest row, and counts its documents as duplicates, so `inputs = articles + duplicates +
rejects` still holds; `--full` reads everything again.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

import duckdb

from transforms.identity import text_ref
from warehouse.batch import BatchCounts, commit_counts_total

Ledger = dict[str, tuple[int, int, int]]  # path -> (size, mtime_ns, documents) of its latest row


class ReadFile(Protocol):
    """What a load learnt about one file it read (collect.extract.UnitOutcome)."""

    @property
    def path(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def documents(self) -> int: ...  # documents the file gave (articles, duplicates, rejects)
    @property
    def article_id(self) -> str | None: ...  # of a one-document file
    @property
    def reject_reason(self) -> str | None: ...  # of a one-document file
    @property
    def again(self) -> bool: ...  # a document of it was rejected for a reason that may pass (read it again next time)


def ledger_key(path: str) -> str:
    """Absolute path as text the lake can store (bytes that are not UTF-8 as \\xNN escapes)."""
    return text_ref(os.path.abspath(path))


def read_ledger(con: duckdb.DuckDBPyConnection) -> Ledger:
    """Latest (size, mtime_ns, documents) per input file path recorded by earlier runs."""
    rows = con.execute(
        "SELECT path, arg_max(size, recorded_at), arg_max(mtime_ns, recorded_at), "
        "arg_max(documents, recorded_at) FROM input_ledger GROUP BY path"
    ).fetchall()
    return {str(r[0]): (int(r[1]), int(r[2]), int(r[3])) for r in rows}


class Found(Protocol):
    """A file a load found (collect.inputs.InputFile)."""

    @property
    def path(self) -> Path: ...


F = TypeVar("F", bound=Found)


@dataclass
class Unchanged(Generic[F]):
    """Files to read, and those the ledger says are unchanged (not read)."""

    to_read: list[F] = field(default_factory=list)
    stats: dict[str, tuple[int, int]] = field(default_factory=dict)  # ledger key -> (size, mtime_ns)
    skipped_files: int = 0
    skipped_documents: int = 0  # their documents, counted as duplicates


def skip_unchanged(files: Iterable[F], ledger: Ledger | None) -> Unchanged[F]:
    """Leave out files whose (path, size, mtime_ns) match their latest ledger row; without a
    ledger (`--full`) every file is read. Only regular files are ever skipped (what else a
    folder holds is refused each time it is planned)."""
    plan: Unchanged[F] = Unchanged()
    for found in files:
        path = found.path
        try:
            st = path.stat()
        except OSError:
            plan.to_read.append(found)  # the reader reports it as unreadable
            continue
        if not stat.S_ISREG(st.st_mode):
            plan.to_read.append(found)
            continue
        key = ledger_key(str(path))
        plan.stats[key] = (st.st_size, st.st_mtime_ns)
        seen = (ledger or {}).get(key)
        if seen is not None and seen[:2] == (st.st_size, st.st_mtime_ns):
            plan.skipped_files += 1
            plan.skipped_documents += seen[2]
            continue
        plan.to_read.append(found)
    return plan


def ledger_rows(
    outcomes: Sequence[ReadFile],
    batch_no: int,
    last_batch: dict[str, int],
    file_docs: dict[str, int],
    stats: dict[str, tuple[int, int]],
    *,
    read_again: set[str] | None = None,
) -> list[dict[str, Any]]:
    """input_ledger rows for the files this batch finishes reading (a jsonl file split over
    several batches is recorded with its last one, so a run killed halfway re-reads it). A file
    with a document rejected for a reason that may pass (`again`; collected in `read_again` across
    batches) is not recorded: the next load reads it again."""
    rows: list[dict[str, Any]] = []
    again = read_again if read_again is not None else set()
    for out in outcomes:
        file_docs[out.path] = file_docs.get(out.path, 0) + out.documents
        if out.again or out.reject_reason == "unreadable":
            again.add(out.path)
        key = ledger_key(out.path)
        if last_batch.get(out.path) != batch_no or key not in stats or out.path in again:
            continue
        rows = [r for r in rows if r["path"] != key]
        size, mtime_ns = stats[key]
        rows.append({
            "path": key, "input_ref": text_ref(out.path), "kind": out.kind, "size": size, "mtime_ns": mtime_ns,
            "documents": file_docs[out.path], "article_id": out.article_id, "reject_reason": out.reject_reason,
        })
    return rows


def run_totals(parts: list[BatchCounts], unchanged: Unchanged[Any]) -> tuple[dict[str, int], str | None]:
    """A run's counts; unchanged inputs that were not read count as duplicates of themselves."""
    totals = {**dict.fromkeys(BatchCounts.__slots__, 0), **commit_counts_total(parts)}
    message = None
    if unchanged.skipped_files:
        for key in ("inputs", "duplicates"):
            totals[key] = totals.get(key, 0) + unchanged.skipped_documents
        message = (
            f"{unchanged.skipped_files} unchanged input file(s) skipped ({unchanged.skipped_documents} documents, "
            "counted as duplicates); pass --full to re-read them"
        )
    totals["skipped_unchanged"] = unchanged.skipped_documents
    return totals, message
