"""Worker-side extraction: read one slice of inputs and transform every document in it.

Runs inside a process-pool worker (or a Dask worker). Whatever goes wrong with one document
becomes a reject for that document; the slice always returns one result per input.
"""

from __future__ import annotations

import dataclasses
import traceback
from dataclasses import dataclass

from collect.inputs import InputUnit, Rejected, Slice, read_unit
from core.settings import LoadSettings
from transforms.identity import text_ref
from transforms.pipeline import TransformOptions, transform_document
from transforms.records import DocumentResult, RawDocument


def transform_options(settings: LoadSettings) -> TransformOptions:
    """The transform's options for a load with these settings."""
    return TransformOptions(html_fallback=settings.html_fallback, source_id=settings.source_id)


def transform_item(item: RawDocument | Rejected, options: TransformOptions | None = None) -> DocumentResult:
    """One read item as a result: a reader's reject stays one, and whatever goes wrong in the
    transform becomes a `transform_error` reject."""
    if isinstance(item, Rejected):
        return DocumentResult.rejected(item.input_ref, item.reason, item.detail)
    try:
        return transform_document(item, options)
    except Exception as err:  # noqa: BLE001  # one bad document must not end the batch
        where = traceback.extract_tb(err.__traceback__)[-1]
        detail = f"{type(err).__name__}: {err} (at {where.filename.rsplit('/', 1)[-1]}:{where.lineno})"
        return DocumentResult.rejected(item.input_ref, "transform_error", detail[:500])


def process_slice(units: tuple[InputUnit, ...], options: TransformOptions | None = None) -> list[DocumentResult]:
    results: list[DocumentResult] = []
    for unit in units:
        before = len(results)
        results.extend(transform_item(item, options) for item in read_unit(unit))
        if len(results) == before:  # a container that held no document still leaves one trace
            results.append(nothing_read(unit))
    return [_text_refs(r) for r in results]


def _text_refs(result: DocumentResult) -> DocumentResult:
    """A file name that is not valid UTF-8 (Linux allows any bytes) is kept readable and
    storable: its undecodable bytes are written as \\xNN in input_ref."""
    ref = text_ref(result.input_ref)
    if ref == result.input_ref:
        return result
    result.input_ref = ref
    if result.reject is not None:
        result.reject = dataclasses.replace(result.reject, input_ref=ref)
    if result.article is not None:
        result.article = dataclasses.replace(result.article, input_ref=ref)
    return result


def nothing_read(unit: InputUnit) -> DocumentResult:
    """The one trace of a container that held no document."""
    if unit.kind == "warc":
        return DocumentResult.rejected(
            unit.path, "bad_warc", "the file holds no HTML response record with status 200 (empty, or not a WARC file)"
        )
    return DocumentResult.rejected(unit.path, "empty", "the file holds no document")


def process_slice_counted(
    units: tuple[InputUnit, ...], options: TransformOptions | None = None
) -> tuple[list[DocumentResult], list[int]]:
    """`process_slice` plus how many results each unit gave (for the input ledger)."""
    results: list[DocumentResult] = []
    counts: list[int] = []
    for unit in units:
        got = process_slice((unit,), options)
        results.extend(got)
        counts.append(len(got))
    return results, counts


@dataclass(frozen=True, slots=True)
class UnitOutcome:
    """What reading one unit gave: how many documents, and for a one-document file its article
    or reject (the input ledger's row; warehouse.ledger.ReadFile)."""

    path: str
    kind: str
    documents: int
    article_id: str | None
    reject_reason: str | None


def slice_outcomes(
    slices: list[Slice], done: list[tuple[list[DocumentResult], list[int]]]
) -> tuple[list[DocumentResult], list[UnitOutcome]]:
    """Flatten `process_slice_counted` answers into a batch's results and one outcome per unit."""
    results: list[DocumentResult] = []
    outcomes: list[UnitOutcome] = []
    for sl, (got, counts) in zip(slices, done, strict=True):
        at = 0
        for unit, n in zip(sl, counts, strict=True):
            one = got[at] if n == 1 and unit.kind != "jsonl" else None
            outcomes.append(UnitOutcome(
                unit.path,
                unit.kind,
                n,
                one.article.article_id if one is not None and one.article is not None else None,
                one.reject.reason if one is not None and one.reject is not None else None,
            ))
            at += n
        results.extend(got)
    return results, outcomes
