"""Views for dashboards (BI tools and `news-etl sql`), stored in the DuckLake catalog itself so
every reader of the published catalog sees them. Created and updated by migrations.

    mart_articles_daily     articles per source per publication day
    mart_mentions_weekly    mentions per actor/place (kind, canonical, admin1) per ISO week
    mart_figures_monthly    figures (killed, arrested, ...) per governorate (admin1) per month

Articles without a publication date fall in day/week/month NULL. A figure's governorate is the
admin1 of the nearest place mention (by character offset) in the same article; 'unknown' when the
article names no place with a governorate.
"""

from __future__ import annotations

MART_VIEWS: dict[str, str] = {
    "mart_articles_daily": """
        SELECT source_id,
               CAST(published_at AS DATE) AS day,
               count(*) AS articles,
               sum(word_count) AS words,
               count(DISTINCT cluster_id) AS stories
        FROM articles
        GROUP BY ALL
    """,
    "mart_mentions_weekly": """
        SELECT CAST(date_trunc('week', a.published_at) AS DATE) AS week,
               m.kind,
               m.canonical,
               m.admin1,
               count(*) AS mentions,
               count(DISTINCT m.article_id) AS articles
        FROM mentions AS m
        JOIN articles AS a ON a.article_id = m.article_id
        GROUP BY ALL
    """,
    "mart_figures_monthly": """
        WITH f AS (
            SELECT row_number() OVER () AS fid, * FROM figures
        ),
        nearest AS (
            SELECT f.fid, arg_min(m.admin1, abs(m.start - coalesce(f.start, 0))) AS admin1
            FROM f
            JOIN mentions AS m
              ON m.article_id = f.article_id AND m.kind = 'place' AND m.admin1 IS NOT NULL
            GROUP BY f.fid
        )
        SELECT CAST(date_trunc('month', a.published_at) AS DATE) AS month,
               coalesce(n.admin1, 'unknown') AS admin1,
               f.kind,
               count(*) AS figures,
               count(DISTINCT f.article_id) AS articles,
               sum(f.count_low) AS count_low,
               sum(f.count_high) AS count_high
        FROM f
        JOIN articles AS a ON a.article_id = f.article_id
        LEFT JOIN nearest AS n ON n.fid = f.fid
        GROUP BY ALL
    """,
}
