"""The lake on object storage (NEWS_ETL_DATA_PATH=s3://bucket/prefix/): credentials, DuckDB's
S3 secret, and the search index's upload and download.

Layout under the root (the same as DATA_DIR/lake/ on disk):

    <root>files/main/<table>/.../ducklake-*.parquet   the data files (DuckLake's DATA_PATH)
    <root>search.duckdb                              the full-text index, uploaded whole by the
                                                     writer after every run that changed it

Credentials come from the environment only, the variables the AWS tools read:
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (optional), AWS_REGION or
AWS_DEFAULT_REGION (default us-east-1), and AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL for an
S3-compatible server (e.g. http://minio.internal:9000; then path-style URLs). DuckDB gets them
as a temporary secret created at connect time (never written to a file); the index is moved
with boto3. Messages never contain the secret key or the session token (`scrub`).

The index is one object, replaced by a single PUT (or a multipart upload that becomes visible
only when complete), so a reader sees the old index or the new one. A reader downloads it once
per version into DATA_DIR/cache/search-<version>.duckdb (one GET pinned to the ETag it asked
about) and opens that copy READ_ONLY.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb

from warehouse.schema import quote_literal

SEARCH_KEY = "search.duckdb"
FILES_PREFIX = "files/"
SECRET_NAME = "news_etl_s3"  # noqa: S105  # the name of the DuckDB secret, not a password
DEFAULT_REGION = "us-east-1"


class ObjectStoreError(RuntimeError):
    """Object storage cannot be used (credentials, endpoint, bucket): one clear sentence."""


class IndexMissing(ObjectStoreError):
    """There is no search index in the lake's root yet."""


@dataclass(frozen=True, slots=True)
class S3Credentials:
    key_id: str
    secret: str
    region: str
    token: str = ""
    endpoint_url: str = ""  # "" = AWS; else e.g. http://127.0.0.1:9000

    def __repr__(self) -> str:  # never the secret or the token, whatever prints this
        return f"S3Credentials(key_id={self.key_id!r}, region={self.region!r}, endpoint_url={self.endpoint_url!r})"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> S3Credentials:
        env = dict(os.environ) if env is None else env
        key_id, secret = env.get("AWS_ACCESS_KEY_ID", "").strip(), env.get("AWS_SECRET_ACCESS_KEY", "").strip()
        if not key_id or not secret:
            raise ObjectStoreError(
                "the lake is on object storage (NEWS_ETL_DATA_PATH) but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                "are not both set in the environment"
            )
        endpoint = (env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or "").strip()
        if endpoint and urlsplit(endpoint).scheme not in ("http", "https"):
            raise ObjectStoreError(f"AWS_ENDPOINT_URL must be an http:// or https:// URL, not {endpoint!r}")
        region = (env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or DEFAULT_REGION).strip()
        return cls(key_id, secret, region, env.get("AWS_SESSION_TOKEN", "").strip(), endpoint.rstrip("/"))

    def scrub(self, text: str) -> str:
        """`text` without the secret key or the session token."""
        for value in (self.secret, self.token):
            if value:
                text = text.replace(value, "***")
        return text


def split_url(url: str) -> tuple[str, str]:
    """'s3://bucket/a/b/' -> ('bucket', 'a/b/')."""
    parts = urlsplit(url)
    return parts.netloc, parts.path.lstrip("/")


def files_url(root: str) -> str:
    return root + FILES_PREFIX


def search_url(root: str) -> str:
    return root + SEARCH_KEY


# -- DuckDB ---------------------------------------------------------------------------------------


def secret_sql(creds: S3Credentials, root: str) -> str:
    """CREATE SECRET for the lake's bucket (temporary: it lives in this connection only)."""
    bucket, _ = split_url(root)
    options = [
        "TYPE s3", "PROVIDER config",
        f"KEY_ID {quote_literal(creds.key_id)}", f"SECRET {quote_literal(creds.secret)}",
        f"REGION {quote_literal(creds.region)}", f"SCOPE {quote_literal(f's3://{bucket}/')}",
    ]
    if creds.token:
        options.append(f"SESSION_TOKEN {quote_literal(creds.token)}")
    if creds.endpoint_url:
        parts = urlsplit(creds.endpoint_url)
        options += [
            f"ENDPOINT {quote_literal(parts.netloc)}", "URL_STYLE 'path'",
            f"USE_SSL {'true' if parts.scheme == 'https' else 'false'}",
        ]
    return f"CREATE OR REPLACE TEMPORARY SECRET {SECRET_NAME} ({', '.join(options)})"


def create_secret(con: duckdb.DuckDBPyConnection, root: str) -> None:
    """Give `con` the environment's credentials for the lake's bucket (httpfs loaded first)."""
    creds = S3Credentials.from_env()
    try:
        con.execute(secret_sql(creds, root))
    except duckdb.Error as err:  # not chained: DuckDB may quote the statement
        raise ObjectStoreError(f"cannot use the object storage credentials: {creds.scrub(str(err).splitlines()[0])}") from None


# -- boto3: checks and the search index ---------------------------------------------------------


def _client(creds: S3Credentials) -> Any:
    try:
        import boto3  # noqa: PLC0415  # the optional `s3` extra
        from botocore.config import Config  # noqa: PLC0415  # the optional `s3` extra
    except ImportError as err:
        raise ObjectStoreError("the lake on object storage needs boto3 (pip install -e '.[s3]')") from err
    config = Config(
        s3={"addressing_style": "path" if creds.endpoint_url else "auto"},
        retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=10, read_timeout=60,
    )
    return boto3.client(
        "s3", aws_access_key_id=creds.key_id, aws_secret_access_key=creds.secret,
        aws_session_token=creds.token or None, region_name=creds.region,
        endpoint_url=creds.endpoint_url or None, config=config,
    )


def _fail(what: str, creds: S3Credentials, err: Exception) -> ObjectStoreError:
    text = " ".join(str(err).split()) or type(err).__name__
    return ObjectStoreError(f"{what}: {creds.scrub(text)}")


def _errors() -> tuple[type[Exception], ...]:
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415  # the optional `s3` extra

    return (BotoCoreError, ClientError, OSError)


def check(root: str) -> None:
    """Fail fast, before a flow starts, when the lake's bucket cannot be listed."""
    creds = S3Credentials.from_env()
    client = _client(creds)
    bucket, prefix = split_url(root)
    try:
        client.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1)
    except _errors() as err:
        raise _fail(f"cannot reach the lake's object storage {root}", creds, err) from None


def _status(err: Exception) -> str:
    response = getattr(err, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def upload_index(local: Path, root: str) -> None:
    """Replace <root>search.duckdb by the local index file (atomic for readers: one object)."""
    creds = S3Credentials.from_env()
    bucket, prefix = split_url(root)
    try:
        _client(creds).upload_file(str(local), bucket, prefix + SEARCH_KEY)
    except _errors() as err:
        raise _fail(f"cannot upload the search index to {search_url(root)}", creds, err) from None


def index_exists(root: str) -> bool:
    creds = S3Credentials.from_env()
    bucket, prefix = split_url(root)
    try:
        _client(creds).head_object(Bucket=bucket, Key=prefix + SEARCH_KEY)
    except _errors() as err:
        if _status(err) in ("404", "NoSuchKey", "NotFound"):
            return False
        raise _fail(f"cannot look for the search index {search_url(root)}", creds, err) from None
    return True


KEEP_OLD_COPIES = 600.0  # seconds: a reader that has just been handed an older copy can still open it


def _forget_old_copies(cache_dir: Path, current: Path) -> None:
    now = time.time()
    for old in cache_dir.glob("search-*.duckdb"):
        try:
            if old != current and now - old.stat().st_mtime > KEEP_OLD_COPIES:
                old.unlink()  # a reader that has it open keeps reading it (POSIX)
        except OSError:
            continue


def fetch_index(root: str, cache_dir: Path, *, attempts: int = 3) -> Path:
    """The search index's current version as a local file in `cache_dir` (downloaded only when
    it changed; older copies are removed)."""
    creds = S3Credentials.from_env()
    client = _client(creds)
    bucket, prefix = split_url(root)
    key = prefix + SEARCH_KEY
    for attempt in range(attempts):
        try:
            head = client.head_object(Bucket=bucket, Key=key)
        except _errors() as err:
            if _status(err) in ("404", "NoSuchKey", "NotFound"):
                raise IndexMissing(f"no search index at {search_url(root)}") from None
            raise _fail(f"cannot read the search index {search_url(root)}", creds, err) from None
        etag = str(head["ETag"])
        version = hashlib.sha256(f"{root}\0{etag}\0{head['ContentLength']}".encode()).hexdigest()[:20]
        target = cache_dir / f"search-{version}.duckdb"
        if target.exists():
            return target
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cache_dir / f".{target.name}.{os.getpid()}.{time.monotonic_ns()}.tmp"
        try:
            # one GET of exactly the version asked about (a ranged, parallel download could mix
            # two versions if the writer replaced the object meanwhile)
            body = client.get_object(Bucket=bucket, Key=key, IfMatch=etag)["Body"]
            with open(tmp, "wb") as fh:
                for chunk in body.iter_chunks(1 << 20):
                    fh.write(chunk)
                fh.flush()
                os.fsync(fh.fileno())
        except _errors() as err:
            tmp.unlink(missing_ok=True)
            if _status(err) in ("412", "PreconditionFailed") and attempt + 1 < attempts:
                continue  # replaced between the HEAD and the GET: ask again
            raise _fail(f"cannot download the search index {search_url(root)}", creds, err) from None
        os.replace(tmp, target)
        _forget_old_copies(cache_dir, target)
        return target
    raise ObjectStoreError(f"the search index {search_url(root)} kept changing while it was downloaded")
