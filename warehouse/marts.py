"""Views for dashboards (BI tools and `news-etl sql`), stored in the DuckLake catalog itself so
every reader of the published catalog sees them. Created and updated by migrations.

    mart_articles_daily     articles per source per publication day
    mart_mentions_weekly    mentions per actor/place (kind, canonical, admin1) per ISO week
    figure_governorates     every figure with its governorate and where that came from
    mart_figures_monthly    figures (killed, arrested, ...) per governorate (admin1) per month
    mart_events_monthly     events per month of the event, governorate and kind, with their best
                            estimates summed (each incident once, however many articles report it)
    mart_event_counts_monthly  people per month, governorate and kind of count: killed, injured,
                            kidnapped, arrested and detained (kept apart: `detained` is people held
                            in custody, `arrested` an arrest), also the injured of a deadly strike
    mart_events_by_actor    events per month, actor (perpetrator or target, its `role`), governorate
                            and kind

Articles without a publication date fall in day/week/month NULL. `mart_figures_monthly` counts
event figures that are not a breakdown of another (`of_figure IS NULL`; "18 killed, among them 7
children" is 18, not 25) and whose scope is an event (standing populations and totals since a
date are left out; rows stored before schema 5 have no scope and count as events), from the body
(a headline's toll repeats one of the body).

Sums of ranges: `count_low` adds the low ends; `count_high` is NULL for a group where any row has
a count with no upper end ("more than 20", "at least 7"): the high end of the sum is unknown, never
smaller than the low end. The event marts read `events`/`event_counts` only, so stocks (people
held, totals since a date) are never in them; they stay queryable in `figures` (kind 'held',
scope 'stock' | 'cumulative'). Events without a date fall in month NULL.

A figure's governorate, one rule for the marts, the HTML report and the docs (docs/facts.md):
1. the places named in the figure's own sentence, if they all lie in one governorate
   (governorate_from = 'sentence');
2. otherwise the article's main governorate: the admin1 with the most place mentions in the
   article, ties broken by the one named first (governorate_from = 'article');
3. otherwise 'unknown' (governorate_from = 'none').
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
    "figure_governorates": """
        WITH f AS (
            SELECT row_number() OVER () AS fid, * FROM figures
        ),
        places AS (
            SELECT article_id, sentence, admin1, start
            FROM mentions
            WHERE kind = 'place' AND admin1 IS NOT NULL
        ),
        in_sentence AS (
            SELECT f.fid, min(p.admin1) AS admin1
            FROM f
            JOIN places AS p ON p.article_id = f.article_id AND p.sentence = f.sentence
            GROUP BY f.fid
            HAVING count(DISTINCT p.admin1) = 1
        ),
        main_place AS (
            SELECT article_id, first(admin1 ORDER BY n DESC, first_at, admin1) AS admin1
            FROM (
                SELECT article_id, admin1, count(*) AS n, min(start) AS first_at
                FROM places
                GROUP BY ALL
            )
            GROUP BY article_id
        )
        SELECT f.* EXCLUDE (fid),
               coalesce(s.admin1, mp.admin1, 'unknown') AS governorate,
               CASE WHEN s.admin1 IS NOT NULL THEN 'sentence'
                    WHEN mp.admin1 IS NOT NULL THEN 'article'
                    ELSE 'none' END AS governorate_from
        FROM f
        LEFT JOIN in_sentence AS s ON s.fid = f.fid
        LEFT JOIN main_place AS mp ON mp.article_id = f.article_id
    """,
    "mart_figures_monthly": """
        SELECT CAST(date_trunc('month', a.published_at) AS DATE) AS month,
               g.governorate AS admin1,
               g.kind,
               count(*) AS figures,
               count(DISTINCT g.article_id) AS articles,
               sum(g.count_low) AS count_low,
               CASE WHEN bool_or(g.count_low IS NOT NULL AND g.count_high IS NULL) THEN NULL
                    ELSE sum(g.count_high) END AS count_high
        FROM figure_governorates AS g
        JOIN articles AS a ON a.article_id = g.article_id
        WHERE g.of_figure IS NULL AND coalesce(g.scope, 'event') = 'event' AND coalesce(g.part, 'body') = 'body'
        GROUP BY ALL
    """,
    "mart_events_monthly": """
        SELECT CAST(date_trunc('month', event_date) AS DATE) AS month,
               coalesce(admin1, 'unknown') AS admin1,
               kind,
               count(*) AS events,
               sum(reports) AS reports,
               sum(best) AS best,
               sum(count_low) AS count_low,
               CASE WHEN bool_or(count_low IS NOT NULL AND count_high IS NULL) THEN NULL
                    ELSE sum(count_high) END AS count_high
        FROM events
        GROUP BY ALL
    """,
    "mart_event_counts_monthly": """
        SELECT CAST(date_trunc('month', e.event_date) AS DATE) AS month,
               coalesce(e.admin1, 'unknown') AS admin1,
               c.kind,
               count(*) AS events,
               sum(c.best) AS best,
               sum(c.count_low) AS count_low,
               CASE WHEN bool_or(c.count_high IS NULL) THEN NULL ELSE sum(c.count_high) END AS count_high
        FROM event_counts AS c
        JOIN events AS e ON e.event_id = c.event_id
        GROUP BY ALL
    """,
    "mart_events_by_actor": """
        SELECT CAST(date_trunc('month', event_date) AS DATE) AS month,
               actor,
               role,
               coalesce(admin1, 'unknown') AS admin1,
               kind,
               count(*) AS events,
               sum(best) AS best
        FROM (
            SELECT event_date, perpetrator AS actor, 'perpetrator' AS role, admin1, kind, best
            FROM events WHERE perpetrator IS NOT NULL
            UNION ALL
            SELECT event_date, target AS actor, 'target' AS role, admin1, kind, best
            FROM events WHERE target IS NOT NULL
        )
        GROUP BY ALL
    """,
}
