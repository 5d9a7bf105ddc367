"""Offsets of `body_search` mapped back to `body`.

`search_form` deletes diacritics and tatweel and maps every other character to one character (the
lower-casing of a few Latin letters aside), so a position of the search form has one position of
the body it came from. The fact extractors match on the search form; what a reader sees (surface,
sentence) is cut from the body with the mapped offsets.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from transforms.normalize import search_form

# what search_form deletes: Arabic diacritics and tatweel
_DELETED = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")


class OffsetMap:
    """Body offsets of search-form offsets: `start(i)` for a span's first character, `end(j)` for
    its end (exclusive; diacritics written on the span's last letter are kept with it)."""

    __slots__ = ("_body_len", "_deleted", "_kept", "_search_len")

    def __init__(self, body: str, body_search: str) -> None:
        self._body_len = len(body)
        self._search_len = len(body_search)
        self._deleted = [m.start() for m in _DELETED.finditer(body)] if len(body) != len(body_search) else []
        self._kept: list[int] | None = None
        if len(body) - len(self._deleted) != len(body_search):
            # another length change (lower-casing): map character by character
            kept: list[int] = []
            for i, ch in enumerate(body):
                kept.extend([i] * len(search_form(ch)))
            self._kept = kept
            self._deleted = []

    def _body_index(self, i: int) -> int:
        if self._kept is not None:
            return self._kept[i] if i < len(self._kept) else self._body_len
        if not self._deleted:
            return i
        # the i-th kept character: i plus the deleted characters before it
        b = i
        while True:
            n = bisect_right(self._deleted, b)
            nb = i + n
            if nb == b:
                break
            b = nb
        while b < self._body_len and self._deleted and _is_in(self._deleted, b):
            b += 1
        return b

    def start(self, i: int) -> int:
        if i >= self._search_len:
            return self._body_len
        return self._body_index(i)

    def end(self, j: int) -> int:
        if j <= 0:
            return 0
        b = self._body_index(j - 1) + 1
        # diacritics (tanween, shadda ...) written on the last letter belong to the span
        while b < self._body_len and self._deleted and _is_in(self._deleted, b):
            b += 1
        return min(b, self._body_len)


def _is_in(sorted_list: list[int], x: int) -> bool:
    k = bisect_right(sorted_list, x)
    return k > 0 and sorted_list[k - 1] == x
