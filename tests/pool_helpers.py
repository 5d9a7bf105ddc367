"""Transforms for the supervised pool's tests: a worker that dies, hangs or exits on a marker.

They travel to the pool's worker processes by name, so they live in an importable module."""

from __future__ import annotations

import ctypes
import os
import time

from collect.extract import transform_item
from collect.inputs import Rejected
from transforms.pipeline import TransformOptions
from transforms.records import DocumentResult, RawDocument


def misbehaving_transform(item: RawDocument | Rejected, options: TransformOptions | None) -> DocumentResult:
    """The real transform, except for documents whose bytes hold a marker."""
    content = item.content if isinstance(item, RawDocument) else b""
    if b"@@SEGFAULT@@" in content:
        ctypes.string_at(0)  # a real segmentation fault
    if b"@@EXIT@@" in content:
        os._exit(3)
    if b"@@HANG@@" in content:
        while True:  # a loop in Python: the soft deadline can interrupt it
            time.sleep(0.01)
    if b"@@HANG_IN_C@@" in content:
        time.sleep(3600)  # one call that never returns to Python code
    return transform_item(item, options)
