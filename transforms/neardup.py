"""Near-duplicate detection: MinHash signatures over `body_search` word shingles, LSH banding.

Pure functions and an in-memory index; the warehouse stores signatures and band buckets and
feeds the stored candidates of a batch into `NearDupIndex` to assign `cluster_id`s.

Two articles are near-duplicates when the estimated Jaccard similarity of their sets of word
shingles (SHINGLE_WORDS consecutive words) is at least THRESHOLD. The value was measured on the
SaudiNewsNet corpus with `bench/neardup_threshold.py` (see docs/warehouse.md).
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

NUM_PERM = 128
BANDS = 32  # 32 bands x 4 rows: pairs at Jaccard 0.5 are candidates with probability ~0.87
ROWS = NUM_PERM // BANDS
SHINGLE_WORDS = 3
THRESHOLD = 0.5
SEED = 1  # fixed: signatures are stored, so the permutations must never change

_WORD = re.compile(r"\w+")

Signature = tuple[int, ...]


def shingles(text: str, k: int = SHINGLE_WORDS) -> set[str]:
    """Sets of k consecutive words; a text shorter than k words is one shingle."""
    words = _WORD.findall(text)
    if not words:
        return set()
    if len(words) <= k:
        return {" ".join(words)}
    return {" ".join(words[i : i + k]) for i in range(len(words) - k + 1)}


# The values of datasketch's MinHash(num_perm=NUM_PERM, seed=SEED) (datasketch 2's default scheme
# "affine32" with sha1_hash32), computed here with numpy alone: importing datasketch pulls in scipy
# (~0.5-1 s per process). Its permutations come from numpy's legacy RandomState, whose stream is
# frozen. tests/test_warehouse_neardup.py checks the values against datasketch itself.
_EMPTY: Signature = (2**32 - 1,) * NUM_PERM
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))


@functools.cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """(a, b) of the NUM_PERM maps h -> a*h + b mod 2^32 (a odd), as datasketch draws them."""
    gen = np.random.RandomState(SEED)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a.astype(np.uint32), b.astype(np.uint32)


def signature(text: str, k: int = SHINGLE_WORDS) -> Signature:
    """MinHash signature (NUM_PERM 32-bit values) of a text's shingles. Empty text -> all max."""
    sh = shingles(text, k)
    if not sh:
        return _EMPTY
    perm_a, perm_b = _permutations()
    sha1 = hashlib.sha1
    hv = np.fromiter(
        (int.from_bytes(sha1(s.encode("utf-8")).digest()[:4], "little") for s in sh), dtype=np.uint32, count=len(sh)
    ).reshape(-1, 1)
    s1, m1, s2, m2, s3 = _FMIX32  # MurmurHash3's finaliser, as datasketch pre-mixes (uint32 arithmetic wraps)
    hv = hv ^ (hv >> s1)
    hv = hv * m1
    hv = hv ^ (hv >> s2)
    hv = hv * m2
    hv = hv ^ (hv >> s3)
    values: list[int] = (hv * perm_a + perm_b).min(axis=0).tolist()
    return tuple(values)


def similarity(a: Signature, b: Signature) -> float:
    """Estimated Jaccard similarity of two signatures."""
    if len(a) != len(b) or not a:
        return 0.0
    return float(np.count_nonzero(np.asarray(a, dtype=np.uint64) == np.asarray(b, dtype=np.uint64))) / len(a)


def band_buckets(sig: Signature) -> list[tuple[int, int]]:
    """(band number, bucket) pairs; two signatures sharing any pair are candidates."""
    out = []
    for band in range(BANDS):
        chunk = sig[band * ROWS : (band + 1) * ROWS]
        digest = hashlib.blake2b(
            b"".join(v.to_bytes(8, "big") for v in chunk), digest_size=8, person=b"news-etl-lsh"
        ).digest()
        out.append((band, int.from_bytes(digest, "big", signed=True)))
    return out


def encode(sig: Signature) -> str:
    """Compact text form for storage (8 hex digits per value)."""
    return "".join(f"{v:08x}" for v in sig)


def decode(text: str) -> Signature:
    return tuple(int(text[i : i + 8], 16) for i in range(0, len(text), 8))


@dataclass(slots=True)
class NearDupIndex:
    """Articles already clustered (stored candidates, then the batch as it is assigned)."""

    threshold: float = THRESHOLD
    _sigs: dict[str, Signature] = field(default_factory=dict)
    _clusters: dict[str, str] = field(default_factory=dict)
    _buckets: dict[tuple[int, int], list[str]] = field(default_factory=dict)

    def add(self, article_id: str, cluster_id: str, sig: Signature) -> None:
        if article_id in self._sigs:
            for key in band_buckets(self._sigs[article_id]):
                ids = self._buckets.get(key, [])
                if article_id in ids:
                    ids.remove(article_id)
        self._sigs[article_id] = sig
        self._clusters[article_id] = cluster_id
        for key in band_buckets(sig):
            self._buckets.setdefault(key, []).append(article_id)

    def best_match(self, article_id: str, sig: Signature) -> tuple[str, float] | None:
        """The most similar other article at or above the threshold (ties: smallest id)."""
        candidates = {other for key in band_buckets(sig) for other in self._buckets.get(key, ()) if other != article_id}
        best: tuple[str, float] | None = None
        for other in sorted(candidates):
            sim = similarity(sig, self._sigs[other])
            if sim >= self.threshold and (best is None or sim > best[1]):
                best = (other, sim)
        return best

    def assign(self, article_id: str, sig: Signature, keep: str | None = None) -> str:
        """The cluster of a new article: `keep` if it already has one, else its best match's
        cluster, else its own id. The article joins the index either way."""
        if keep is not None:
            cluster = keep
        else:
            match = self.best_match(article_id, sig)
            cluster = self._clusters[match[0]] if match is not None else article_id
        self.add(article_id, cluster, sig)
        return cluster


def assign_clusters(
    batch: Sequence[tuple[str, Signature]],
    stored: Iterable[tuple[str, str, Signature]],
    keep: dict[str, str] | None = None,
    threshold: float = THRESHOLD,
) -> dict[str, str]:
    """cluster_id for each (article_id, signature) of a batch, in order, given stored
    candidates (article_id, cluster_id, signature). Clusters are never merged afterwards: a
    new article joins the cluster of its most similar earlier article."""
    index = NearDupIndex(threshold=threshold)
    for article_id, cluster_id, sig in stored:
        index.add(article_id, cluster_id, sig)
    out: dict[str, str] = {}
    keep = keep or {}
    for article_id, sig in batch:
        # a later version in the same batch stays in the cluster its first version got
        out[article_id] = index.assign(article_id, sig, out.get(article_id) or keep.get(article_id))
    return out
