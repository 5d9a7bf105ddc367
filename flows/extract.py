"""Worker-side extraction: read one slice of inputs and transform every document in it.

Runs inside a process-pool worker. Whatever goes wrong with one document becomes a reject for
that document; the slice always returns one result per input.
"""

from __future__ import annotations

import dataclasses
import traceback

from core.settings import LoadSettings
from flows.inputs import InputUnit, Rejected, read_unit
from transforms.pipeline import TransformOptions, transform_document
from transforms.records import DocumentResult


def transform_options(settings: LoadSettings) -> TransformOptions:
    """The transform's options for a load with these settings."""
    return TransformOptions(html_fallback=settings.html_fallback, source_id=settings.source_id)


def process_slice(units: tuple[InputUnit, ...], options: TransformOptions | None = None) -> list[DocumentResult]:
    results: list[DocumentResult] = []
    for unit in units:
        before = len(results)
        for item in read_unit(unit):
            if isinstance(item, Rejected):
                results.append(DocumentResult.rejected(item.input_ref, item.reason, item.detail))
                continue
            try:
                results.append(transform_document(item, options))
            except Exception as err:  # noqa: BLE001  # one bad document must not end the batch
                where = traceback.extract_tb(err.__traceback__)[-1]
                detail = f"{type(err).__name__}: {err} (at {where.filename.rsplit('/', 1)[-1]}:{where.lineno})"
                results.append(DocumentResult.rejected(item.input_ref, "transform_error", detail[:500]))
        if len(results) == before:  # a container that held no document still leaves one trace
            results.append(DocumentResult.rejected(unit.path, *_nothing_read(unit)))
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


def text_ref(ref: str) -> str:
    """`ref` as storable UTF-8 text: bytes of a file name that are not UTF-8 become \\xNN."""
    try:
        ref.encode("utf-8")
        return ref
    except UnicodeEncodeError:
        return ref.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _nothing_read(unit: InputUnit) -> tuple[str, str]:
    if unit.kind == "warc":
        return "bad_warc", "the file holds no HTML response record with status 200 (empty, or not a WARC file)"
    return "empty", "the file holds no document"


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
