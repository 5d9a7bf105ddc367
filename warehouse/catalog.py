"""Where the lake's DuckLake catalog lives: the setting NEWS_ETL_CATALOG.

    unset or empty                      a DuckDB file, DATA_DIR/lake/catalog.ducklake (default);
                                        readers attach the published copy lake/published.ducklake
    postgres:<libpq connection string>  a PostgreSQL database, e.g.
                                        postgres:dbname=lake host=db.internal port=5432 user=news_etl
                                        (or postgres:postgresql://news_etl@db.internal/lake);
                                        readers attach it directly, READ_ONLY

The data files stay in DATA_DIR/lake/files/ either way. Anything else is refused with a
CatalogError naming the accepted forms. A password in the connection string is never printed
(`redact`): prefer ~/.pgpass or PGPASSWORD over writing it into the setting.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Literal

ENV_CATALOG = "NEWS_ETL_CATALOG"
POSTGRES_PREFIX = "postgres:"


class CatalogError(ValueError):
    """The catalog setting is malformed (a usage error: the CLI exits with code 2)."""


@dataclass(frozen=True, slots=True)
class Catalog:
    kind: Literal["duckdb", "postgres"] = "duckdb"
    dsn: str = ""  # the libpq connection string (postgres only)

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


def catalog_from_env() -> Catalog:
    return parse_catalog(os.environ.get(ENV_CATALOG))
