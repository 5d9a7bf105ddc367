"""Near-duplicate clustering at commit time: MinHash signatures and LSH buckets
(transforms/neardup.py) against the stored articles' (`article_minhash`, `article_lsh`)."""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pyarrow as pa

from transforms import neardup
from warehouse.batch import Plan


def cluster(
    con: duckdb.DuckDBPyConnection, plan: Plan, run_id: str, signatures: Mapping[str, neardup.Signature] | None = None
) -> None:
    """Give every article version of the plan a cluster_id (an updated article keeps its stored
    one; a new one joins its most similar stored or earlier article's cluster, else starts its
    own) and add the signature rows of the latest versions. `signatures`: those already computed
    (in the workers), by body_search; the others are computed here."""
    versions = plan.rows["article_versions"]
    if not versions:
        return
    known = signatures or {}
    sigs: list[tuple[str, neardup.Signature]] = []
    for r in versions:
        body = str(r["body_search"])
        sig = known.get(body)
        sigs.append((str(r["article_id"]), sig if sig is not None else neardup.signature(body)))
    bands = {sig: neardup.band_buckets(sig) for _, sig in sigs}  # hashed once per signature
    buckets = pa.table(
        {
            "band": pa.array([b for _, s in sigs for b, _ in bands[s]], pa.int32()),
            "bucket": pa.array([k for _, s in sigs for _, k in bands[s]], pa.int64()),
        }
    )
    ids = pa.table({"article_id": sorted({a for a, _ in sigs})})
    con.register("batch_buckets", buckets)
    con.register("batch_ids", ids)
    try:
        stored = [
            (str(r[0]), str(r[1]), neardup.decode(str(r[2])))
            for r in con.execute(
                "SELECT m.article_id, m.cluster_id, m.signature FROM article_minhash AS m "
                "WHERE m.article_id IN (SELECT l.article_id FROM article_lsh AS l "
                "JOIN batch_buckets AS b ON l.band = b.band AND l.bucket = b.bucket) "
                "OR m.article_id IN (SELECT article_id FROM batch_ids)"
            ).fetchall()
        ]
    finally:
        con.unregister("batch_buckets")
        con.unregister("batch_ids")
    keep = {a: c for a, c, _ in stored if a in plan.replace_ids}
    clusters = neardup.assign_clusters(sigs, stored, keep=keep)
    latest: dict[str, neardup.Signature] = {}
    for row, (article_id, sig) in zip(versions, sigs, strict=True):
        row["cluster_id"] = clusters[article_id]
        latest[article_id] = sig
    for row in plan.rows["articles"]:
        article_id = str(row["article_id"])
        row["cluster_id"] = clusters[article_id]
        sig = latest[article_id]
        plan.rows["article_minhash"].append(
            {"article_id": article_id, "cluster_id": clusters[article_id], "signature": neardup.encode(sig), "run_id": run_id}
        )
        plan.rows["article_lsh"].extend(
            {"article_id": article_id, "band": band, "bucket": bucket, "run_id": run_id}
            for band, bucket in bands[sig]
        )
