"""Table schemas of the lake, declared once as pyarrow schemas.

Types are enforced here: every batch is converted to these schemas before it reaches DuckDB, and
the DuckLake DDL is generated from them, so Python, Parquet and SQL agree on every column.
"""

from __future__ import annotations

import pyarrow as pa

SCHEMA_VERSION = 1

TS = pa.timestamp("us", tz="UTC")

ARTICLE_FIELDS: list[pa.Field] = [
    pa.field("article_id", pa.string(), nullable=False),
    pa.field("version", pa.int32(), nullable=False),
    pa.field("source_id", pa.string(), nullable=False),
    pa.field("outlet", pa.string()),
    pa.field("url", pa.string()),
    pa.field("input_ref", pa.string(), nullable=False),
    pa.field("title", pa.string()),
    pa.field("subtitle", pa.string()),
    pa.field("byline", pa.string()),
    pa.field("section", pa.string()),
    pa.field("published_at", TS),
    pa.field("published_precision", pa.string(), nullable=False),
    pa.field("date_note", pa.string()),
    pa.field("language", pa.string(), nullable=False),
    pa.field("body", pa.string(), nullable=False),
    pa.field("body_search", pa.string(), nullable=False),
    pa.field("word_count", pa.int32(), nullable=False),
    pa.field("content_hash", pa.string(), nullable=False),
    pa.field("cluster_id", pa.string()),
    pa.field("identity", pa.string(), nullable=False),
    pa.field("extractor", pa.string(), nullable=False),
    pa.field("run_id", pa.string(), nullable=False),
    pa.field("ingested_at", TS, nullable=False),
    # partition columns (hive: source_id=.../pub_year=.../pub_month=...); 0 = no publication date
    pa.field("pub_year", pa.int32(), nullable=False),
    pa.field("pub_month", pa.int32(), nullable=False),
    # how source_id was resolved: input | option | domain | site_name | short_link | byline | lead_in |
    # appeal | default (transforms.records.Provenance); schema version 4, NULL in older rows
    pa.field("source_from", pa.string()),
]

TABLES: dict[str, pa.Schema] = {
    # latest version of every article (partitioned)
    "articles": pa.schema(ARTICLE_FIELDS),
    # every version ever stored (append-only, partitioned like articles)
    "article_versions": pa.schema(ARTICLE_FIELDS),
    # every input that produced or repeated an article: exact duplicates keep their refs here
    "article_inputs": pa.schema(
        [
            pa.field("article_id", pa.string(), nullable=False),
            pa.field("input_ref", pa.string(), nullable=False),
            pa.field("source_id", pa.string(), nullable=False),
            pa.field("url", pa.string()),
            pa.field("content_hash", pa.string(), nullable=False),
            pa.field("relation", pa.string(), nullable=False),  # stored | version | duplicate
            pa.field("run_id", pa.string(), nullable=False),
            pa.field("seen_at", TS, nullable=False),
        ]
    ),
    "mentions": pa.schema(
        [
            pa.field("article_id", pa.string(), nullable=False),
            pa.field("kind", pa.string(), nullable=False),
            pa.field("surface", pa.string(), nullable=False),
            pa.field("canonical", pa.string(), nullable=False),
            pa.field("start", pa.int32(), nullable=False),
            pa.field("end", pa.int32(), nullable=False),
            pa.field("sentence", pa.string()),
            pa.field("admin1", pa.string()),
            pa.field("admin2", pa.string()),
            pa.field("lat", pa.float64()),
            pa.field("lon", pa.float64()),
            pa.field("run_id", pa.string(), nullable=False),
            # since schema 5: surface/sentence/start/end are the article's own text (body); the
            # search forms are kept here (rows stored before schema 5 have them NULL)
            pa.field("canonical_ar", pa.string()),
            pa.field("surface_search", pa.string()),
            pa.field("sentence_search", pa.string()),
            pa.field("part", pa.string()),  # body | title: the text that start/end point into
        ]
    ),
    "figures": pa.schema(
        [
            pa.field("article_id", pa.string(), nullable=False),
            pa.field("kind", pa.string(), nullable=False),
            pa.field("count_low", pa.int64()),
            pa.field("count_high", pa.int64()),
            pa.field("qualifier", pa.string()),
            pa.field("sentence", pa.string(), nullable=False),
            pa.field("start", pa.int32()),
            pa.field("end", pa.int32()),
            pa.field("run_id", pa.string(), nullable=False),
            # since schema 5 (rows stored before have them NULL)
            pa.field("sentence_search", pa.string()),
            pa.field("figure_no", pa.int32()),  # ordinal of the figure in its article
            pa.field("of_figure", pa.int32()),  # a breakdown: figure_no of its total in the same article
            pa.field("scope", pa.string()),  # event | cumulative | stock
            pa.field("part", pa.string()),  # body | title: the text that start/end point into
        ]
    ),
    "embeds": pa.schema(
        [
            pa.field("article_id", pa.string(), nullable=False),
            pa.field("kind", pa.string(), nullable=False),
            pa.field("url", pa.string()),
            pa.field("author", pa.string()),
            pa.field("text", pa.string()),
            pa.field("posted_at", TS),
            pa.field("language", pa.string()),
            pa.field("run_id", pa.string(), nullable=False),
        ]
    ),
    "removed": pa.schema(
        [
            pa.field("article_id", pa.string(), nullable=False),
            pa.field("line_no", pa.int32(), nullable=False),
            pa.field("line", pa.string(), nullable=False),
            pa.field("rule", pa.string(), nullable=False),
            pa.field("run_id", pa.string(), nullable=False),
        ]
    ),
    "rejects": pa.schema(
        [
            pa.field("input_ref", pa.string(), nullable=False),
            pa.field("reason", pa.string(), nullable=False),
            pa.field("detail", pa.string(), nullable=False),
            pa.field("run_id", pa.string(), nullable=False),
            pa.field("rejected_at", TS, nullable=False),
        ]
    ),
    "runs": pa.schema(
        [
            pa.field("run_id", pa.string(), nullable=False),
            pa.field("flow", pa.string(), nullable=False),
            pa.field("started_at", TS, nullable=False),
            pa.field("finished_at", TS),
            pa.field("status", pa.string(), nullable=False),  # running | completed | failed
            pa.field("parameters", pa.string()),  # JSON
            pa.field("inputs", pa.int64()),
            pa.field("articles_new", pa.int64()),
            pa.field("articles_updated", pa.int64()),
            pa.field("duplicates", pa.int64()),
            pa.field("rejects", pa.int64()),
            pa.field("removed_lines", pa.int64()),
            pa.field("mentions", pa.int64()),
            pa.field("figures", pa.int64()),
            pa.field("embeds", pa.int64()),
            pa.field("batches", pa.int64()),
            pa.field("message", pa.string()),
        ]
    ),
}

PARTITIONS: dict[str, tuple[str, ...]] = {
    "articles": ("source_id", "pub_year", "pub_month"),
    "article_versions": ("source_id", "pub_year", "pub_month"),
}

# tables whose rows belong to one version of an article and are replaced with it
ARTICLE_CHILD_TABLES = ("mentions", "figures", "embeds", "removed")

_DUCKDB_TYPES = {
    pa.string(): "VARCHAR",
    pa.int32(): "INTEGER",
    pa.int64(): "BIGINT",
    pa.float64(): "DOUBLE",
    pa.date32(): "DATE",
    TS: "TIMESTAMP WITH TIME ZONE",
}


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def column_ddl(schema: pa.Schema) -> str:
    cols = []
    for f in schema:
        ddl = f"{quote_ident(f.name)} {_DUCKDB_TYPES[f.type]}"
        if not f.nullable:
            ddl += " NOT NULL"
        cols.append(ddl)
    return ", ".join(cols)


def empty_table(name: str) -> pa.Table:
    return TABLES[name].empty_table()

# -- collection from live sources (warehouse/fetch_state.py) ------------------------------------------
TABLES["fetch_log"] = pa.schema(  # one row per URL a fetch run tried (feeds, sitemaps, pages, robots)
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("source_id", pa.string(), nullable=False),
        pa.field("url", pa.string(), nullable=False),
        pa.field("final_url", pa.string()),
        pa.field("kind", pa.string(), nullable=False),  # robots | feed | sitemap | page
        pa.field("status", pa.int32()),  # last HTTP status seen (null: no answer)
        pa.field("outcome", pa.string(), nullable=False),  # ok | not_modified | refused | failed | skipped
        pa.field("reason", pa.string()),  # why not ok: http_404, timeout, robots_disallowed, too_large...
        pa.field("error", pa.string()),
        pa.field("attempts", pa.int32(), nullable=False),
        pa.field("bytes", pa.int64()),
        pa.field("fetched_at", TS, nullable=False),
    ]
)
TABLES["fetch_state"] = pa.schema(  # latest known state per URL: conditional GET and seen pages
    [
        pa.field("url", pa.string(), nullable=False),
        pa.field("source_id", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("final_url", pa.string()),
        pa.field("status", pa.int32()),
        pa.field("outcome", pa.string(), nullable=False),  # ok | refused | failed
        pa.field("reason", pa.string()),
        pa.field("etag", pa.string()),
        pa.field("last_modified", pa.string()),
        pa.field("changed_at", TS),  # the feed's/sitemap's date for the page when it was fetched
        pa.field("fetched_at", TS, nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
    ]
)

# -- near-duplicate clustering: one MinHash signature per article (latest version) and
# its LSH band buckets; a new article joins the cluster of its most similar stored article.
TABLES["article_minhash"] = pa.schema(
    [
        pa.field("article_id", pa.string(), nullable=False),
        pa.field("cluster_id", pa.string(), nullable=False),
        pa.field("signature", pa.string(), nullable=False),  # transforms.neardup.encode
        pa.field("run_id", pa.string(), nullable=False),
    ]
)
TABLES["article_lsh"] = pa.schema(
    [
        pa.field("article_id", pa.string(), nullable=False),
        pa.field("band", pa.int32(), nullable=False),
        pa.field("bucket", pa.int64(), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
    ]
)
# rows of these tables belong to the latest version of an article and are replaced with it
NEARDUP_TABLES = ("article_minhash", "article_lsh")

# -- incremental loads: one row per local input file each time a run read it whole (a jsonl or
# WARC file counts as one input file). A later run skips a file whose (path, size, mtime_ns)
# match its latest row, before reading it, and counts its `documents` as duplicates.
TABLES["input_ledger"] = pa.schema(
    [
        pa.field("path", pa.string(), nullable=False),  # absolute path of the file
        pa.field("input_ref", pa.string(), nullable=False),  # the path as given (prefix of input_ref)
        pa.field("kind", pa.string(), nullable=False),  # txt | html | jsonl | warc | unsupported
        pa.field("size", pa.int64(), nullable=False),
        pa.field("mtime_ns", pa.int64(), nullable=False),
        pa.field("documents", pa.int64(), nullable=False),  # results the file gave (lines, records)
        pa.field("article_id", pa.string()),  # one-document files: the article it became
        pa.field("reject_reason", pa.string()),  # one-document files: why it was rejected
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("recorded_at", TS, nullable=False),
    ]
)

# -- events: incidents resolved across articles (warehouse/events.py, transforms/events.py) ------
TABLES["events"] = pa.schema(  # one row per incident and its best estimate
    [
        pa.field("event_id", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),  # killed | injured | kidnapped | arrested | detained | attack
        pa.field("event_date", pa.date32()),
        pa.field("date_precision", pa.string(), nullable=False),  # day | week | month | year | published | none
        pa.field("place", pa.string()),  # canonical (English) name of the most specific place
        pa.field("canonical_ar", pa.string()),  # its Arabic name
        pa.field("admin1", pa.string()),  # governorate
        pa.field("admin2", pa.string()),  # district
        pa.field("lat", pa.float64()),
        pa.field("lon", pa.float64()),
        pa.field("perpetrator", pa.string()),  # canonical actor (transforms/data/aliases.yaml)
        pa.field("target", pa.string()),
        pa.field("count_low", pa.int64()),  # people of `kind`: lowest report
        pa.field("count_high", pa.int64()),  # highest report; NULL when a report gives no upper end
        pa.field("best", pa.int64()),  # best estimate (docs/events.md)
        pa.field("reports", pa.int64(), nullable=False),  # articles
        pa.field("outlets", pa.int64(), nullable=False),  # distinct source_id
        pa.field("first_reported", TS),
        pa.field("last_reported", TS),
        pa.field("run_id", pa.string(), nullable=False),
    ]
)
TABLES["event_counts"] = pa.schema(  # one row per event and kind of count (killed and injured of one strike)
    [
        pa.field("event_id", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("count_low", pa.int64()),
        pa.field("count_high", pa.int64()),
        pa.field("best", pa.int64()),
        pa.field("reports", pa.int64(), nullable=False),  # articles that give this count
        pa.field("run_id", pa.string(), nullable=False),
    ]
)
TABLES["event_reports"] = pa.schema(  # one row per report (a figure, or a sentence naming an incident) and its event
    [
        pa.field("event_id", pa.string(), nullable=False),
        pa.field("article_id", pa.string(), nullable=False),
        pa.field("report_no", pa.int32(), nullable=False),  # (article_id, report_no) is the key
        pa.field("figure_no", pa.int32()),  # the figure (figures.article_id, figure_no); NULL: a sentence with no figure
        pa.field("source_id", pa.string(), nullable=False),
        pa.field("published_at", TS),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("count_low", pa.int64()),
        pa.field("count_high", pa.int64()),
        pa.field("qualifier", pa.string()),
        pa.field("event_date", pa.date32()),
        pa.field("date_precision", pa.string(), nullable=False),
        pa.field("date_lo", pa.date32()),
        pa.field("date_hi", pa.date32()),
        pa.field("place", pa.string()),
        pa.field("place_ar", pa.string()),
        pa.field("place_level", pa.int32(), nullable=False),
        pa.field("admin1", pa.string()),
        pa.field("admin2", pa.string()),
        pa.field("lat", pa.float64()),
        pa.field("lon", pa.float64()),
        pa.field("place_from", pa.string(), nullable=False),  # sentence | context | title | article | none
        pa.field("sentence_no", pa.int32(), nullable=False),
        pa.field("perpetrator", pa.string()),
        pa.field("target", pa.string()),
        pa.field("persons", pa.string()),  # people named in the sentence, | separated
        pa.field("sentence_search", pa.string(), nullable=False),  # the sentence (search form) that holds the report
        pa.field("run_id", pa.string(), nullable=False),
    ]
)
TABLES["event_merges"] = pa.schema(  # an event that a later report joined to another
    [
        pa.field("from_event", pa.string(), nullable=False),
        pa.field("into_event", pa.string(), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("merged_at", TS, nullable=False),
    ]
)
TABLES["event_articles"] = pa.schema(  # articles whose reports were read, with the rules that read them
    [
        pa.field("article_id", pa.string(), nullable=False),
        pa.field("version", pa.int32(), nullable=False),
        pa.field("reports", pa.int32(), nullable=False),
        pa.field("rules", pa.string(), nullable=False),  # transforms.events.rules_version()
        pa.field("run_id", pa.string(), nullable=False),
    ]
)
TABLES["data_tests"] = pa.schema(  # one row per data test per run (warehouse/data_tests.py)
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("name", pa.string(), nullable=False),
        pa.field("status", pa.string(), nullable=False),  # passed | failed
        pa.field("failing_rows", pa.int64(), nullable=False),
        pa.field("message", pa.string(), nullable=False),
        pa.field("sample", pa.string()),  # up to 5 offending rows (JSON)
        pa.field("checked_at", TS, nullable=False),
    ]
)
EVENT_TABLES = ("events", "event_counts", "event_reports")
