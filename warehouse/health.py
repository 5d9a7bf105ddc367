"""How the lake's sources are doing: sources whose fetched pages were all rejected by the load.

Every SQL string is here; callers get plain Python values. Reads go through the locked-down
reader (warehouse/reader.py) of the published catalog.
"""

from __future__ import annotations

from warehouse.paths import LakePaths
from warehouse.reader import connect_readonly

_ALL_REJECTED = """
    WITH pages AS (
        SELECT DISTINCT source_id, coalesce(final_url, url) AS url
        FROM fetch_log
        WHERE run_id = ? AND kind = 'page' AND outcome = 'ok'
    ),
    landed AS (
        SELECT source_id, count(DISTINCT input_ref) AS n FROM article_inputs WHERE run_id = ? GROUP BY 1
    ),
    rejected AS (
        SELECT p.source_id, r.reason, count(*) AS n
        FROM rejects AS r JOIN pages AS p ON p.url = r.input_ref
        WHERE r.run_id = ?
        GROUP BY ALL
    )
    SELECT r.source_id, sum(r.n) AS rejected,
           string_agg(r.reason || ' x' || r.n, ', ' ORDER BY r.n DESC, r.reason) AS reasons
    FROM rejected AS r LEFT JOIN landed AS l ON l.source_id = r.source_id
    WHERE coalesce(l.n, 0) = 0
    GROUP BY r.source_id
    ORDER BY r.source_id
"""


def sources_all_rejected(paths: LakePaths, fetch_run_id: str, load_run_id: str) -> dict[str, str]:
    """Sources whose pages fetched by `fetch_run_id` were every one rejected by `load_run_id`
    (a redesigned site: `no_text` for every page), with why."""
    con = connect_readonly(paths)
    try:
        rows = con.execute(_ALL_REJECTED, [fetch_run_id, load_run_id, load_run_id]).fetchall()
    finally:
        con.close()
    return {str(sid): f"every fetched page was rejected by the load ({int(n)}: {reasons})" for sid, n, reasons in rows}
