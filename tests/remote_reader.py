"""A BI client on another machine: SQLAlchemy over duckdb-engine, with nothing of news-etl but
the environment (NEWS_ETL_CATALOG, AWS_*) and the DuckDB extension wheels. It installs the
extensions from their wheels (into ~/.duckdb), creates an S3 secret from the environment, attaches
the PostgreSQL catalog READ_ONLY (the catalog records that the files are in s3://...) and prints
what it read as JSON. Run by tests/test_cluster.py in a process of its own:

    python -m tests.remote_reader
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any
from urllib.parse import urlsplit

import duckdb_extensions
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

EXTENSIONS = ("ducklake", "postgres_scanner", "httpfs")


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def init_sql(env: dict[str, str]) -> list[str]:
    """The initialisation SQL of the documented BI connection (docs/operations.md)."""
    endpoint = urlsplit(env["AWS_ENDPOINT_URL"]) if env.get("AWS_ENDPOINT_URL") else None
    secret = [
        "TYPE s3", f"KEY_ID {literal(env['AWS_ACCESS_KEY_ID'])}", f"SECRET {literal(env['AWS_SECRET_ACCESS_KEY'])}",
        f"REGION {literal(env.get('AWS_REGION', 'us-east-1'))}",
    ]
    if endpoint is not None:
        secret += [f"ENDPOINT {literal(endpoint.netloc)}", "URL_STYLE 'path'", f"USE_SSL {str(endpoint.scheme == 'https').lower()}"]
    dsn = env["NEWS_ETL_CATALOG"].removeprefix("postgres:")
    return [
        *(f"LOAD {name}" for name in EXTENSIONS),
        f"CREATE SECRET lake_s3 ({', '.join(secret)})",
        f"ATTACH {literal('ducklake:postgres:' + dsn)} AS lake (READ_ONLY)",
        "USE lake",
    ]


def main() -> int:
    for name in EXTENSIONS:
        duckdb_extensions.import_extension(name)  # once per BI host, from the wheels (offline)
    statements = init_sql(dict(os.environ))
    engine = sa.create_engine("duckdb:///:memory:", poolclass=NullPool)

    @sa.event.listens_for(engine, "connect")
    def _init(dbapi_connection: Any, _record: Any) -> None:
        for statement in statements:
            dbapi_connection.execute(statement)

    out: dict[str, Any] = {}
    with engine.connect() as con:
        out["tables"] = sorted(sa.inspect(con).get_table_names())
        out["articles"] = con.execute(sa.text("SELECT count(*) FROM articles")).scalar()
        out["distinct_articles"] = con.execute(sa.text("SELECT count(DISTINCT article_id) FROM articles")).scalar()
        out["daily"] = con.execute(sa.text("SELECT sum(articles) FROM mart_articles_daily")).scalar()
        out["data_path"] = con.execute(sa.text(
            "SELECT value FROM __ducklake_metadata_lake.ducklake_metadata WHERE key = 'data_path'"
        )).scalar()
        try:
            con.execute(sa.text("DELETE FROM articles"))
            out["write"] = "allowed"
        except sa.exc.DBAPIError as err:
            out["write"] = "refused: " + str(err.orig).splitlines()[0]
    print(json.dumps(out, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
