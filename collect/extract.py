"""Worker-side extraction: read one slice of inputs and transform every document in it.

Runs inside a worker of the supervised pool (collect/pool.py, which kills and replaces a worker
that overruns the time budget or crashes) or of Dask (`process_slice_counted` with a soft
deadline: collect/deadline.py). Whatever goes wrong with one document becomes a reject for that
document; the slice always returns one result per input.
"""

from __future__ import annotations

import dataclasses
import traceback
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass

from collect.deadline import DocumentDeadline, TooSlow
from collect.inputs import DEFAULT_BUDGET, InputUnit, Rejected, Slice, read_unit
from core.settings import InputBudget, LoadSettings
from transforms import neardup
from transforms.events import reports_of, rules_version, stored_input
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
        return for_commit(transform_document(item, options))
    except MemoryError:
        return DocumentResult.rejected(item.input_ref, "too_large", "transforming the document ran out of memory")
    except Exception as err:  # noqa: BLE001  # one bad document must not end the batch
        where = traceback.extract_tb(err.__traceback__)[-1]
        detail = f"{type(err).__name__}: {err} (at {where.filename.rsplit('/', 1)[-1]}:{where.lineno})"
        return DocumentResult.rejected(item.input_ref, "transform_error", detail[:500])


def for_commit(result: DocumentResult) -> DocumentResult:
    """The article's near-duplicate signature and event reports, computed here in the worker so
    that the committing process need not (warehouse/clustering.py and warehouse/events.py use
    them, and compute them themselves for a result that lacks them). Reports that fail to be
    read are left out: resolution then reads the stored article and reports the error there."""
    a = result.article
    if a is None:
        return result
    result.signature = neardup.signature(a.body_search)
    try:
        result.reports = reports_of(stored_input(a, result.mentions, result.figures))
        result.reports_rules = rules_version()
    except Exception:  # noqa: BLE001  # the run's resolution reads the article again and fails there, as before
        result.reports = None
    return result


def unit_items(unit: InputUnit, budget: InputBudget = DEFAULT_BUDGET, skip: int = 0) -> Iterator[tuple[int, RawDocument | Rejected]]:
    """The items of one unit with their index, from index `skip` on (the ones before are read
    again but not given: a worker that resumes a unit after a replaced worker)."""
    for index, item in enumerate(read_unit(unit, budget)):
        if index >= skip:
            yield index, item


def process_unit(
    unit: InputUnit, options: TransformOptions | None = None, budget: InputBudget = DEFAULT_BUDGET,
    deadline: DocumentDeadline | None = None,
) -> list[DocumentResult]:
    """Every document of one unit as a result (a unit that held none leaves one trace). With a
    `deadline`, a document that overruns it is rejected as too_slow (a soft deadline: it
    interrupts Python code, not a long call into C; the supervised pool's kill is the hard one)."""
    results: list[DocumentResult] = []
    items = read_unit(unit, budget)
    while True:
        item: RawDocument | Rejected | None = None
        try:
            with deadline.watch() if deadline is not None else nullcontext():
                item = next(items, None)
                if item is None:
                    break
                result = transform_item(item, options)
        except TooSlow:
            reading = item is None  # stuck while reading: the reader is gone, the rest of the input is not read
            ref = unit.line_ref(len(results)) if item is None else item.input_ref
            results.append(DocumentResult.rejected(ref, "too_slow", too_slow_detail(budget.max_document_seconds, reading=reading)))
            if reading:
                break
            continue
        results.append(result)
    if not results:  # a container that held no document still leaves one trace
        results.append(nothing_read(unit))
    return [with_text_ref(r) for r in results]


def too_slow_detail(seconds: float, *, reading: bool = False) -> str:
    if reading:
        return f"reading the input took longer than {seconds:g} s (load.max_document_seconds); the rest of it was not read"
    return f"reading and transforming the document took longer than {seconds:g} s (load.max_document_seconds)"


def process_slice(
    units: tuple[InputUnit, ...], options: TransformOptions | None = None, budget: InputBudget = DEFAULT_BUDGET,
) -> list[DocumentResult]:
    return [r for unit in units for r in process_unit(unit, options, budget)]


def with_text_ref(result: DocumentResult) -> DocumentResult:
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


# reject reasons that may not hold next time (a busy machine, a file being written, a link or a
# pipe that will be fixed): the input ledger does not record the file, so the next load reads it again
READ_AGAIN = frozenset({"unreadable", "not_a_file", "outside_input", "too_slow", "worker_crashed"})


def nothing_read(unit: InputUnit) -> DocumentResult:
    """The one trace of a container that held no document."""
    if unit.kind == "warc":
        return DocumentResult.rejected(
            unit.path, "bad_warc", "the file holds no HTML response record with status 200 (empty, or not a WARC file)"
        )
    return DocumentResult.rejected(unit.path, "empty", "the file holds no document")


def crashed_unit(unit: InputUnit, why: str) -> list[DocumentResult]:
    """Rejects for an input whose worker died every time it was tried (Dask): one per document
    the plan knows of (the lines of a jsonl part), else one."""
    detail = f"the worker process died every time this input was tried: {why}"[:500]
    n = unit.lines if unit.kind == "jsonl" and unit.lines > 0 else 1
    return [with_text_ref(DocumentResult.rejected(unit.line_ref(i), "worker_crashed", detail)) for i in range(n)]


def process_slice_counted(
    units: tuple[InputUnit, ...], options: TransformOptions | None = None, budget: InputBudget = DEFAULT_BUDGET,
    *, soft_deadline: bool = False,
) -> tuple[list[DocumentResult], list[int]]:
    """`process_slice` plus how many results each unit gave (for the input ledger). With
    `soft_deadline` (Dask workers, which this code cannot kill), each document is watched by a
    soft deadline of the budget's max_document_seconds."""
    results: list[DocumentResult] = []
    counts: list[int] = []
    deadline = DocumentDeadline(budget.max_document_seconds) if soft_deadline else None
    for unit in units:
        got = process_unit(unit, options, budget, deadline)
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
    again: bool = False  # a document of it was rejected for a reason that may pass: read it again next time


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
                any(r.reject is not None and r.reject.reason in READ_AGAIN for r in got[at:at + n]),
            ))
            at += n
        results.extend(got)
    return results, outcomes
