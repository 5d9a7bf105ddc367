"""Where the lake's DuckLake catalog lives: the setting NEWS_ETL_CATALOG.

    unset or empty                      a DuckDB file, DATA_DIR/lake/catalog.ducklake (default);
                                        readers attach the published copy lake/published.ducklake
    postgres:<libpq connection string>  a PostgreSQL database, e.g.
                                        postgres:dbname=lake host=db.internal port=5432 user=news_etl
                                        (or postgres:postgresql://news_etl@db.internal/lake);
                                        readers attach it directly, READ_ONLY

The data files stay in DATA_DIR/lake/files/ unless NEWS_ETL_DATA_PATH names object storage:

    NEWS_ETL_DATA_PATH=s3://bucket/prefix/   the lake's root on S3 (or an S3-compatible store):
                                            data files under <root>files/, the search index
                                            at <root>search.duckdb (warehouse/objectstore.py);
                                            needs the PostgreSQL catalog

Anything else is refused with a CatalogError naming the accepted forms. A password in the
connection string is never printed (`redact`): prefer ~/.pgpass or PGPASSWORD over writing it
into the setting. Object storage credentials come only from the environment (AWS_*).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Literal

ENV_CATALOG = "NEWS_ETL_CATALOG"
ENV_DATA_PATH = "NEWS_ETL_DATA_PATH"
POSTGRES_PREFIX = "postgres:"
S3_PREFIX = "s3://"


class CatalogError(ValueError):
    """The catalog setting is malformed (a usage error: the CLI exits with code 2)."""


@dataclass(frozen=True, slots=True)
class Catalog:
    kind: Literal["duckdb", "postgres"] = "duckdb"
    dsn: str = ""  # the libpq connection string (postgres only)
    # the lake's root in object storage, "s3://bucket/prefix/" (always ending in "/"), or "" for
    # DATA_DIR/lake/ on the local file system (NEWS_ETL_DATA_PATH)
    data_path: str = ""

    @property
    def is_remote(self) -> bool:
        """The data files (and the search index) live in object storage."""
        return bool(self.data_path)

    @property
    def is_local(self) -> bool:
        """The DuckDB-file catalog next to the data files (published copy for readers)."""
        return self.kind == "duckdb"

    def describe(self) -> str:
        """For messages: never contains a password."""
        return "the local DuckDB catalog" if self.is_local else f"the PostgreSQL catalog ({redact(self.dsn)})"


LOCAL = Catalog()

_PASSWORD_KV = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)
_PASSWORD_URI = re.compile(r"(postgres(?:ql)?://[^:/@\s]*:)[^@\s]*(@)", re.IGNORECASE)
_PASSWORD_QUERY = re.compile(r"([?&]password=)[^&\s\"']*", re.IGNORECASE)


def redact(text: str) -> str:
    """`text` with every password of a libpq connection string (key=value or URI) masked."""
    text = _PASSWORD_KV.sub(r"\1***", text)
    text = _PASSWORD_URI.sub(r"\1***\2", text)
    return _PASSWORD_QUERY.sub(r"\1***", text)


def parse_catalog(value: str | None) -> Catalog:
    raw = (value or "").strip()
    if not raw:
        return LOCAL
    if raw.lower().startswith(POSTGRES_PREFIX):
        dsn = raw[len(POSTGRES_PREFIX):].strip()
        if not dsn:
            raise CatalogError(
                f"{ENV_CATALOG}=postgres: needs a connection string, e.g. "
                "'postgres:dbname=lake host=db.internal port=5432 user=news_etl'"
            )
        return Catalog("postgres", dsn)
    shown = redact(raw).split(":", 1)[0]
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    raise CatalogError(
        f"{ENV_CATALOG} must be empty (the local DuckDB catalog) or 'postgres:<connection string>', "
        f"not {shown!r}"
    )


def parse_data_path(value: str | None, catalog: Catalog) -> Catalog:
    """`catalog` with the lake's root in object storage (NEWS_ETL_DATA_PATH), checked: an
    s3:// URL with a bucket, and the PostgreSQL catalog (a DuckDB-file catalog is published by
    copying it next to the data files, which object storage cannot offer)."""
    raw = (value or "").strip()
    if not raw:
        return catalog
    if not raw.lower().startswith(S3_PREFIX):
        shown = raw if len(raw) <= 60 else raw[:57] + "..."
        raise CatalogError(
            f"{ENV_DATA_PATH} must be empty (DATA_DIR/lake/ on this machine) or an object storage URL "
            f"'s3://bucket/prefix/', not {shown!r}"
        )
    rest = raw[len(S3_PREFIX):].strip("/")
    bucket = rest.split("/", 1)[0]
    if not re.fullmatch(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]", bucket) or any(c in rest for c in "*?[]{}\\'\""):
        raise CatalogError(
            f"{ENV_DATA_PATH}={raw!r} is not a usable object storage URL: expected 's3://bucket/prefix/' "
            "(a bucket name of lower-case letters, digits, '.' and '-'; no wildcards or quotes)"
        )
    if catalog.is_local:
        raise CatalogError(
            f"{ENV_DATA_PATH} (data files in object storage) needs the lake's catalog in PostgreSQL: "
            f"set {ENV_CATALOG}='postgres:<connection string>' too"
        )
    return Catalog(catalog.kind, catalog.dsn, S3_PREFIX + rest + "/")


def catalog_from_env() -> Catalog:
    return parse_data_path(os.environ.get(ENV_DATA_PATH), parse_catalog(os.environ.get(ENV_CATALOG)))
