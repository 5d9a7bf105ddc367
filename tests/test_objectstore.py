"""The lake-on-object-storage settings without a server: NEWS_ETL_DATA_PATH parsing, the S3
secret made from the environment, and that the secret key shows in no message or repr.
(tests/test_cluster.py runs the real thing against an S3-compatible server.)"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.conftest import Cli
from warehouse.catalog import Catalog, CatalogError, parse_catalog, parse_data_path
from warehouse.objectstore import ObjectStoreError, S3Credentials, files_url, search_url, secret_sql, split_url
from warehouse.paths import LakePaths

PG = parse_catalog("postgres:dbname=lake host=db")
ENV = {
    "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalr/XUtnFEMI+K7MDENG'bPxRfiCY",
    "AWS_REGION": "eu-central-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:9000/",
}


def test_data_path_is_an_s3_root_and_needs_the_postgresql_catalog() -> None:
    assert parse_data_path(None, PG) == parse_data_path("  ", PG) == PG
    remote = parse_data_path(" s3://news-lake/nightly ", PG)
    assert remote == Catalog("postgres", "dbname=lake host=db", "s3://news-lake/nightly/")
    assert remote.is_remote and not PG.is_remote
    assert parse_data_path("s3://news-lake", PG).data_path == "s3://news-lake/"
    paths = LakePaths(Path("/d"), remote)
    assert paths.files_location == "s3://news-lake/nightly/files/" and paths.is_remote
    assert LakePaths(Path("/d"), PG).files_location == "/d/lake/files/"
    assert files_url(remote.data_path) == "s3://news-lake/nightly/files/"
    assert search_url(remote.data_path) == "s3://news-lake/nightly/search.duckdb"
    assert split_url("s3://news-lake/nightly/") == ("news-lake", "nightly/")

    with pytest.raises(CatalogError, match="needs the lake's catalog in PostgreSQL"):
        parse_data_path("s3://news-lake/nightly/", Catalog())
    for bad in ("/srv/lake", "gs://bucket/x", "s3://", "s3://Bad_Bucket/x", "s3://b/x", "s3://bucket/a*b", "s3://bucket/it's"):
        with pytest.raises(CatalogError, match="NEWS_ETL_DATA_PATH"):
            parse_data_path(bad, PG)


def test_the_secret_comes_from_the_environment_and_is_never_shown() -> None:
    creds = S3Credentials.from_env(ENV)
    assert (creds.key_id, creds.region, creds.endpoint_url) == ("AKIDEXAMPLE", "eu-central-1", "http://127.0.0.1:9000")
    assert ENV["AWS_SECRET_ACCESS_KEY"] not in repr(creds) and ENV["AWS_SECRET_ACCESS_KEY"] not in str(creds)
    assert creds.scrub(f"failed with {ENV['AWS_SECRET_ACCESS_KEY']} inside") == "failed with *** inside"

    sql = secret_sql(creds, "s3://news-lake/nightly/")
    assert "ENDPOINT '127.0.0.1:9000'" in sql and "USE_SSL false" in sql and "URL_STYLE 'path'" in sql
    assert "SCOPE 's3://news-lake/'" in sql and "TEMPORARY" in sql
    con = duckdb.connect()
    from warehouse.extensions import load_extension

    try:
        load_extension(con, "httpfs")
    except ImportError:
        pytest.skip("duckdb-extension-httpfs is not installed (pip install -e '.[s3]')")
    con.execute(sql)  # a quote inside the secret is escaped, and DuckDB shows it redacted
    shown = str(con.execute("select * from duckdb_secrets()").fetchall())
    assert "AKIDEXAMPLE" in shown and ENV["AWS_SECRET_ACCESS_KEY"] not in shown and "secret=redacted" in shown
    aws = secret_sql(S3Credentials.from_env({**ENV, "AWS_ENDPOINT_URL": "", "AWS_SESSION_TOKEN": "tok"}), "s3://b-1/")
    assert "ENDPOINT" not in aws and "SESSION_TOKEN 'tok'" in aws

    with pytest.raises(ObjectStoreError, match="AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"):
        S3Credentials.from_env({"AWS_ACCESS_KEY_ID": "x"})
    with pytest.raises(ObjectStoreError, match="http:// or https://"):
        S3Credentials.from_env({**ENV, "AWS_ENDPOINT_URL": "127.0.0.1:9000"})
    assert S3Credentials.from_env({**ENV, "AWS_REGION": "", "AWS_DEFAULT_REGION": ""}).region == "us-east-1"


def test_cli_refuses_a_data_path_without_the_postgresql_catalog(cli_offline: Cli) -> None:
    res = cli_offline("sql", "select 1", extra_env={"NEWS_ETL_DATA_PATH": "s3://news-lake/x/", "NEWS_ETL_CATALOG": ""})
    assert res.code == 2 and "needs the lake's catalog in PostgreSQL" in res.stderr, res.stderr
    res = cli_offline("sql", "select 1", extra_env={"NEWS_ETL_DATA_PATH": "/srv/lake", "NEWS_ETL_CATALOG": "postgres:dbname=x"})
    assert res.code == 2 and "s3://bucket/prefix/" in res.stderr, res.stderr


def test_missing_credentials_are_one_line(cli_offline: Cli) -> None:
    env = {"NEWS_ETL_DATA_PATH": "s3://news-lake/x/", "NEWS_ETL_CATALOG": "postgres:dbname=x host=127.0.0.1 port=1",
           "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}
    res = cli_offline("sql", "select 1", extra_env=env)
    assert res.code == 1 and "AWS_SECRET_ACCESS_KEY" in res.stderr and "Traceback" not in res.stderr, res.stderr
