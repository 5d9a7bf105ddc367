"""Worker-side extraction: read one slice of inputs and transform every document in it.

Runs inside a process-pool worker. Whatever goes wrong with one document becomes a reject for
that document; the slice always returns one result per input.
"""

from __future__ import annotations

import traceback

from flows.inputs import InputUnit, Rejected, read_unit
from transforms.pipeline import TransformOptions, transform_document
from transforms.records import DocumentResult


def process_slice(
    units: tuple[InputUnit, ...], default_source: str | None = None, options: TransformOptions | None = None
) -> list[DocumentResult]:
    results: list[DocumentResult] = []
    for unit in units:
        for item in read_unit(unit, default_source):
            if isinstance(item, Rejected):
                results.append(DocumentResult.rejected(item.input_ref, item.reason, item.detail))
                continue
            try:
                results.append(transform_document(item, options))
            except Exception as err:  # noqa: BLE001  # one bad document must not end the batch
                where = traceback.extract_tb(err.__traceback__)[-1]
                detail = f"{type(err).__name__}: {err} (at {where.filename.rsplit('/', 1)[-1]}:{where.lineno})"
                results.append(DocumentResult.rejected(item.input_ref, "transform_error", detail[:500]))
    return results


def process_slice_counted(
    units: tuple[InputUnit, ...], default_source: str | None = None, options: TransformOptions | None = None
) -> tuple[list[DocumentResult], list[int]]:
    """`process_slice` plus how many results each unit gave (for the input ledger)."""
    results: list[DocumentResult] = []
    counts: list[int] = []
    for unit in units:
        got = process_slice((unit,), default_source, options)
        results.extend(got)
        counts.append(len(got))
    return results, counts
