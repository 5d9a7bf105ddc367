"""The soft per-document deadline (collect/deadline.py): raised in the watched thread, raised
again when something on the way swallowed it, and never after the block has ended."""

from __future__ import annotations

import time

import pytest

from collect.deadline import DocumentDeadline, TooSlow


def _busy(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        sum(range(100))


def test_a_swallowed_deadline_is_raised_again() -> None:
    started = time.monotonic()
    swallowed = 0
    with pytest.raises(TooSlow), DocumentDeadline(0.2).watch():
        while time.monotonic() - started < 20:
            try:
                _busy(20)
            except TooSlow:  # what a callback that ignores every exception does
                swallowed += 1
                if swallowed > 1:
                    raise
    assert swallowed == 2
    assert time.monotonic() - started < 10


def test_no_deadline_arrives_after_its_block() -> None:
    with DocumentDeadline(0.3).watch():
        _busy(0.05)
    _busy(3.0)  # a TooSlow here would fail the test


def test_a_block_past_its_time_ends_with_too_slow_once() -> None:
    with pytest.raises(TooSlow), DocumentDeadline(0.1).watch():
        _busy(20)
    _busy(2.5)  # and nothing after it
