"""Near-duplicates: MinHash over body_search shingles (pure) and cluster_id assignment at commit."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import ROOT
from tests.test_warehouse_helpers import arabic_body, doc, load, perturb, rows
from transforms import neardup
from warehouse.paths import LakePaths


def test_similarity_estimates_jaccard() -> None:
    a = arabic_body(1, 300)
    near = perturb(a, 0.05, seed=3)
    far = arabic_body(2, 300)
    sa, sn, sf = neardup.signature(a), neardup.signature(near), neardup.signature(far)
    true_near = len(neardup.shingles(a) & neardup.shingles(near)) / len(neardup.shingles(a) | neardup.shingles(near))
    assert abs(neardup.similarity(sa, sn) - true_near) < 0.15
    assert neardup.similarity(sa, sn) >= neardup.THRESHOLD > neardup.similarity(sa, sf)
    assert neardup.similarity(sa, sa) == 1.0
    assert neardup.decode(neardup.encode(sa)) == sa
    assert neardup.signature(a) == sa  # deterministic: stored signatures stay comparable


def test_assign_clusters_joins_the_most_similar_earlier_article() -> None:
    a = neardup.signature(arabic_body(1, 300))
    a2 = neardup.signature(perturb(arabic_body(1, 300), 0.05, seed=1))
    b = neardup.signature(arabic_body(2, 300))
    clusters = neardup.assign_clusters([("x2", a2), ("y", b)], stored=[("x", "cx", a)])
    assert clusters == {"x2": "cx", "y": "y"}
    # an article that keeps its stored cluster (an update) is not re-clustered
    assert neardup.assign_clusters([("y", a)], stored=[("x", "cx", a)], keep={"y": "y"}) == {"y": "y"}
    # an empty body never matches anything
    empty = neardup.signature("")
    assert neardup.assign_clusters([("e", empty)], stored=[("x", "cx", a)]) == {"e": "e"}


def test_near_duplicates_share_a_cluster_without_being_merged(tmp_path: Path) -> None:
    paths = LakePaths(tmp_path / "data")
    base = arabic_body(11, 300)
    original = doc("ia.txt", base, url="https://independentarabia.example/1", source_id="ia")
    other = doc("other.txt", arabic_body(12, 300), url="https://other.example/1", source_id="other")
    load(paths, [[original, other]], "run-1")
    # a later run: a lightly edited republication (not an exact duplicate) and a new story
    edited = doc("eocr.txt", perturb(base, 0.04, seed=5), url="https://eocr.example/1", source_id="eocr")
    fresh = doc("fresh.txt", arabic_body(13, 300), url="https://fresh.example/1", source_id="fresh")
    counts = load(paths, [[edited, fresh]], "run-2")
    assert counts["articles_new"] == 2 and counts["duplicates"] == 0

    got = dict(rows(paths, "SELECT source_id, cluster_id FROM articles"))
    assert len(got) == 4  # nothing merged
    assert got["eocr"] == got["ia"] == original.article.article_id  # type: ignore[union-attr]
    assert len({got["ia"], got["other"], got["fresh"]}) == 3
    stories = rows(paths, "SELECT count(DISTINCT cluster_id) FROM articles")[0][0]
    assert stories == 3
    # article_versions carries the same cluster ids
    assert rows(paths, "SELECT count(*) FROM articles a JOIN article_versions v USING (article_id, version) "
                       "WHERE a.cluster_id <> v.cluster_id")[0][0] == 0


def test_near_duplicates_within_one_batch(tmp_path: Path) -> None:
    paths = LakePaths(tmp_path / "data")
    base = arabic_body(21, 300)
    a = doc("a.txt", base, url="https://a.example/1", source_id="a")
    b = doc("b.txt", perturb(base, 0.04, seed=9), url="https://b.example/1", source_id="b")
    load(paths, [[a, b]])
    clusters = dict(rows(paths, "SELECT source_id, cluster_id FROM articles"))
    assert clusters == {"a": a.article.article_id, "b": a.article.article_id}  # type: ignore[union-attr]


def test_signature_equals_datasketch_minhash() -> None:
    """Stored signatures must stay comparable: our computation gives datasketch's own values."""
    from datasketch import MinHash

    texts = ["", "كلمة", "قتل ثلاثة مدنيين في قصف", arabic_body(7, 400), "a b c d e f " * 50, "x" * 10, "!!! ???"]
    for text in texts:
        mh = MinHash(num_perm=neardup.NUM_PERM, seed=neardup.SEED)
        sh = neardup.shingles(text)
        if sh:
            mh.update_batch([s.encode("utf-8") for s in sh])
        assert neardup.signature(text) == tuple(int(v) for v in mh.hashvalues), text[:20]


def test_reading_commands_do_not_import_datasketch() -> None:
    """datasketch pulls in scipy (~0.5 s): no command pays for it, not even the writer's signatures."""
    import subprocess
    import sys

    code = (
        "import sys, cli.main, warehouse.writer, warehouse.reader, transforms.neardup as n; n.signature('a b c d'); "
        "print('scipy' in sys.modules, 'datasketch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert out.split() == ["False", "False"]
