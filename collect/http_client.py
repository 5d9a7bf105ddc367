"""A polite async HTTP client for one source (httpx).

* bounded total concurrency and a per-host limit, with a minimum delay between two requests to
  the same host (the source's `delay`, or robots.txt Crawl-delay when larger, capped);
* robots.txt fetched once per origin and honoured (collect/robots.py);
* retries with exponential backoff and jitter on connection errors, timeouts, 429 and 5xx,
  honouring Retry-After; other 4xx are final;
* redirects followed by hand, only to http(s) URLs inside `allowed_domains`, loops detected;
* addresses that are not public (private, loopback, link-local, shared/CGNAT, documentation,
  reserved, multicast) refused unless the source sets `allow_private_addresses: true`: the host's
  addresses are checked before the request, and the connection itself goes through a network
  backend that resolves the name once, checks every address and connects to a checked address
  (DNS pinning: a name that resolves differently at connect time - DNS rebinding - is refused
  before a byte is sent); the address connected to is checked once more on the response;
* bodies larger than `max_bytes` refused (by Content-Length, or while streaming); the body's
  Content-Encoding layers (gzip, deflate, stacked in any number) are undone here, one chunk at a
  time with a bounded output per step, and `max_bytes` applies to the decoded total: 16 KB on
  the wire never becomes more than `max_bytes` in memory; pages whose content type is not HTML
  refused before the body is read;
* deadlines: one response (headers to last byte: a server that drips a byte a second is cut,
  `too_slow`), one host per run (`host_timeout`, then `host_deadline`), the whole run (`deadline`
  given by the caller, then `run_deadline`);
* robots.txt is read up to its first 500 KiB (RFC 9309, 2.5) and parsed from that; a longer
  file is not a reason to refuse the host.

Every HTTP response received (retried ones and redirects included) is handed to `on_response`,
which appends it to the run's WARC. Nothing raises for a bad URL or a bad server: the result
says what happened (`outcome`, `reason`, `error`, `attempts`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import random
import socket
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from collect.robots import RobotsRules, product_token, rules_from_response
from collect.sources import Source
from core.settings import Limits

HTML_TYPES = ("text/html", "application/xhtml+xml")
FEED_TYPES = ("xml", "rss", "atom", "text/plain", "text/html", "application/octet-stream")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 507, 508, 509, 520, 521, 522, 523, 524})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
# headers that describe the transfer, not the body we keep (we store the decoded body)
_TRANSFER_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})
ROBOTS_MAX_BYTES = 500 * 1024  # RFC 9309: a crawler must parse at least the first 500 KiB
_DECODE_STEP = 64 * 1024  # most bytes one decoding step may produce


@dataclass(frozen=True, slots=True)
class ResponseRecord:
    """One HTTP response as received, for the WARC archive."""

    url: str
    status: int
    reason_phrase: str
    http_version: str
    headers: list[tuple[str, str]]
    body: bytes
    fetched_at: datetime
    kind: str  # robots | feed | sitemap | page
    source_id: str
    outlet: str


@dataclass(slots=True)
class FetchResult:
    url: str  # as requested
    kind: str
    final_url: str = ""
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    outcome: str = "failed"  # ok | not_modified | refused | failed
    reason: str | None = None  # why it is not ok (see docs/fetching.md)
    error: str | None = None  # one sentence
    attempts: int = 0
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def charset(self) -> str | None:
        for part in (self.header("content-type") or "").split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                return value.strip("\"' ")
        return None


class _BodyDecoder:
    """Undo a Content-Encoding (`gzip`, `x-gzip`, `deflate`, `identity`, comma-separated and
    stacked in any order) chunk by chunk. No step produces more than _DECODE_STEP bytes, and
    decoding stops once more than `cap` decoded bytes came out (`too_large`), so the memory
    used is bounded by the cap whatever the compression ratio of each layer."""

    def __init__(self, header: str | None, cap: int) -> None:
        names = [n.strip().lower() for n in (header or "").split(",") if n.strip()]
        names = [n for n in names if n != "identity"]
        unknown = [n for n in names if n not in ("gzip", "x-gzip", "deflate")]
        if unknown:
            raise _Refused("failed", "unsupported_encoding", f"the body is encoded as {unknown[0]!r}, which is not decoded")
        self.kinds = list(reversed(names))  # the last encoding applied is undone first
        self.layers = [self._decompressor(k) for k in self.kinds]
        self.started = [False] * len(self.layers)
        self.pending = [b""] * len(self.layers)
        self.cap = cap
        self.total = 0
        self.truncated = False

    @staticmethod
    def _decompressor(kind: str, *, raw: bool = False) -> Any:
        if kind == "deflate":
            return zlib.decompressobj(-zlib.MAX_WBITS if raw else zlib.MAX_WBITS)
        return zlib.decompressobj(16 + zlib.MAX_WBITS)

    def feed(self, chunk: bytes) -> bytes:
        """Decoded bytes of the next chunk from the wire (b"" at the end: what is left)."""
        if not self.layers:
            return self._count(chunk)
        self.pending[0] += chunk
        out = bytearray()
        moved = True
        while moved:
            moved = False
            for i in reversed(range(len(self.layers))):  # drain the inner layers first
                data = self.pending[i]
                if not data:
                    continue
                piece = self._step(i, data)
                if piece or len(self.pending[i]) != len(data):
                    moved = True
                if i + 1 < len(self.layers):
                    self.pending[i + 1] += piece
                else:
                    out += self._count(piece)
        return bytes(out)

    def _step(self, i: int, data: bytes) -> bytes:
        layer = self.layers[i]
        try:
            piece: bytes = layer.decompress(data, _DECODE_STEP)
        except zlib.error as err:
            if self.kinds[i] == "deflate" and not self.started[i]:  # "deflate" sent as a raw stream
                self.layers[i] = layer = self._decompressor("deflate", raw=True)
                piece = layer.decompress(data, _DECODE_STEP)
            else:
                raise _Refused("failed", "bad_encoding", f"the {self.kinds[i]} body is damaged: {err}") from None
        self.started[i] = True
        self.pending[i] = layer.unconsumed_tail
        if layer.eof and layer.unused_data:  # a new gzip member follows
            self.layers[i] = self._decompressor(self.kinds[i])
            self.pending[i] = layer.unused_data + self.pending[i]
        return piece

    def _count(self, piece: bytes) -> bytes:
        self.total += len(piece)
        if self.total > self.cap:
            raise _TooLarge(piece[: len(piece) - (self.total - self.cap)])
        return piece


class _TooLarge(Exception):  # control flow: the decoded body passed the cap
    def __init__(self, last: bytes) -> None:
        super().__init__("too large")
        self.last = last  # the bytes of the last piece that still fit


class _Refused(Exception):  # control flow inside fetch(), never escapes
    def __init__(self, outcome: str, reason: str, error: str) -> None:
        super().__init__(error)
        self.outcome = outcome
        self.reason = reason
        self.error = error


def _retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


def _media_type(headers: httpx.Headers) -> str:
    return (headers.get("content-type") or "").split(";")[0].strip().lower()


def _type_ok(kind: str, media_type: str) -> bool:
    if kind == "page":
        return media_type in HTML_TYPES
    if kind in ("feed", "sitemap"):
        return media_type == "" or any(t in media_type for t in FEED_TYPES)
    return True


def _blocked_address(ip: str) -> bool:
    """Not a public unicast address (is_global misses nothing private: 100.64.0.0/10 included)."""
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return bool(
        not addr.is_global or addr.is_private or addr.is_loopback or addr.is_link_local or addr.is_reserved
        or addr.is_multicast or addr.is_unspecified
    )


class _PinnedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend with the address check where the connection is made: the name
    is resolved once here, every address checked, and the socket connected to a checked address
    (TLS still verifies the host name: httpcore passes it as server_hostname). A name that
    resolves to an address that is not public is refused before anything is sent."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self.inner = inner

    async def connect_tcp(
        self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            infos = await asyncio.wait_for(
                asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout
            )
        except (OSError, TimeoutError) as err:
            raise httpcore.ConnectError(f"cannot resolve {host}: {err}") from err
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        bad = [a for a in addresses if _blocked_address(a)]
        if bad:
            raise _Refused(
                "refused", "private_address",
                f"{host} resolved to {bad[0]} when connecting, a private or reserved address; nothing was sent",
            )
        error: Exception = httpcore.ConnectError(f"{host} has no address")
        for address in addresses:
            try:
                return await self.inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as err:
                error = err
        raise error

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.AsyncNetworkStream:
        return await self.inner.connect_unix_socket(path, timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def _transport(limits: Limits, *, pinned: bool) -> httpx.AsyncHTTPTransport:
    """httpx's transport; with `pinned`, its connection pool connects through _PinnedBackend."""
    pool_limits = httpx.Limits(max_connections=limits.concurrency, max_keepalive_connections=limits.concurrency)
    transport = httpx.AsyncHTTPTransport(limits=pool_limits, trust_env=False)
    if pinned:
        transport._pool = httpcore.AsyncConnectionPool(  # httpx has no network-backend option
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=pool_limits.max_connections,
            max_keepalive_connections=pool_limits.max_keepalive_connections,
            keepalive_expiry=pool_limits.keepalive_expiry,
            network_backend=_PinnedBackend(httpcore.AnyIOBackend()),
        )
    return transport


def _peer_address(resp: httpx.Response) -> str | None:
    """The IP address the response came from (httpcore's network stream), when it says."""
    stream = resp.extensions.get("network_stream")
    addr = stream.get_extra_info("server_addr") if stream is not None else None
    return str(addr[0]) if isinstance(addr, tuple) and addr else None


class Fetcher:
    """Use as `async with Fetcher(source, on_response=...) as f: await f.fetch(url, "page")`."""

    def __init__(
        self,
        source: Source,
        on_response: Callable[[ResponseRecord], None] | None = None,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
        deadline: float | None = None,
    ) -> None:
        """`deadline`: time.monotonic() after which no request starts and running ones stop
        (the fetch run's deadline)."""
        self.source = source
        self.limits = source.limits
        self.deadline = deadline
        self._host_started: dict[str, float] = {}
        self.on_response = on_response
        self._sleep = sleep
        self._jitter = jitter
        self._client: httpx.AsyncClient | None = None
        self._total = asyncio.Semaphore(self.limits.concurrency)
        self._host_sem: dict[str, asyncio.Semaphore] = {}
        self._host_lock: dict[str, asyncio.Lock] = {}
        self._host_next: dict[str, float] = {}
        self._host_delay: dict[str, float] = {}
        self._robots: dict[str, RobotsRules] = {}
        self._robots_lock: dict[str, asyncio.Lock] = {}
        self._addr_ok: dict[str, str | None] = {}
        self.requests = 0  # HTTP requests sent (all attempts)
        self.notes: list[str] = []  # things worth a log line (capped Crawl-delay, robots problems)

    async def __aenter__(self) -> Fetcher:
        lim = self.limits
        self._client = httpx.AsyncClient(
            follow_redirects=False,
            headers={"User-Agent": lim.user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(connect=lim.connect_timeout, read=lim.read_timeout, write=lim.read_timeout, pool=None),
            transport=_transport(lim, pinned=not self.source.allow_private_addresses),
            trust_env=False,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()

    # -- policy -----------------------------------------------------------------------------

    async def _check_url(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise _Refused("refused", "bad_scheme", f"only http and https URLs are fetched, not {parts.scheme or 'no scheme'!r}")
        host = parts.hostname
        if not self.source.allows_host(host):
            raise _Refused("refused", "offsite", f"{host} is outside allowed_domains {list(self.source.allowed_domains)}")
        if not self.source.allow_private_addresses:
            problem = await self._address_problem(host or "", parts.port or (443 if parts.scheme == "https" else 80))
            if problem:
                raise _Refused("refused", "private_address", problem)

    async def _address_problem(self, host: str, port: int) -> str | None:
        if host in self._addr_ok:
            return self._addr_ok[host]
        problem: str | None = None
        try:
            ipaddress.ip_address(host)
            addresses = [host]
        except ValueError:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
                addresses = [str(info[4][0]) for info in infos]
            except OSError as err:
                addresses = []
                problem = None  # resolution errors surface as connect errors (and are retried)
                self.notes.append(f"cannot resolve {host}: {err}")
        bad = [a for a in addresses if _blocked_address(a)]
        if bad:
            problem = f"{host} resolves to a private or reserved address ({bad[0]}); set allow_private_addresses to fetch it"
        self._addr_ok[host] = problem
        return problem

    async def _pace(self, host: str) -> None:
        """Wait until this host may be asked again (per-host delay / Crawl-delay)."""
        lock = self._host_lock.setdefault(host, asyncio.Lock())
        async with lock:
            now = time.monotonic()
            start = max(now, self._host_next.get(host, 0.0))
            self._host_next[host] = start + self._host_delay.get(host, self.limits.delay)
        if start > now:
            await self._sleep(start - now)

    async def robots(self, url: str) -> RobotsRules:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        lock = self._robots_lock.setdefault(origin, asyncio.Lock())
        async with lock:
            if origin not in self._robots:
                res = await self.fetch(origin + "/robots.txt", "robots")
                answered = res.ok or (res.outcome == "failed" and (res.reason or "").startswith(("http_", "bad_redirect")))
                if res.status is not None and answered:  # a status with its whole body, or an error status
                    rules = rules_from_response(origin, res.status, res.body if res.ok else None)
                    if res.ok and res.body is not None and len(res.body) >= ROBOTS_MAX_BYTES - 4096:
                        rules.note = f"robots.txt is longer than {ROBOTS_MAX_BYTES // 1024} KiB: the rules of its first lines apply"
                elif res.status is None and res.reason in ("private_address", "offsite"):
                    rules = rules_from_response(origin, 404, None)  # unusable file: no rules
                else:
                    rules = rules_from_response(origin, None, None, res.error)
                if rules.note:
                    self.notes.append(f"{origin}: {rules.note}")
                agent = product_token(self.limits.user_agent)
                delay = rules.crawl_delay(agent)
                if delay is not None:
                    if delay > self.limits.max_crawl_delay:
                        self.notes.append(f"{origin}: Crawl-delay {delay}s capped to {self.limits.max_crawl_delay}s")
                    self._host_delay[parts.hostname or ""] = max(self.limits.delay, min(delay, self.limits.max_crawl_delay))
                self._robots[origin] = rules
            return self._robots[origin]

    # -- fetching ---------------------------------------------------------------------------

    async def fetch(self, url: str, kind: str, *, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        """GET a URL by the rules above. kind: robots | feed | sitemap | page."""
        result = FetchResult(url=url, kind=kind, final_url=url)
        visited = {url}
        current = url
        try:
            for _hop in range(self.limits.max_redirects + 1):
                await self._check_url(current)
                if kind != "robots":
                    rules = await self.robots(current)
                    if not rules.allowed(current, product_token(self.limits.user_agent)):
                        reason = "robots_disallowed" if rules.parser is not None or rules.allow_all else "robots_unavailable"
                        note = f" ({rules.note})" if rules.note else ""
                        raise _Refused("refused", reason, f"robots.txt of {rules.origin} does not allow {current}{note}")
                conditional = {}
                if current == url and etag:
                    conditional["If-None-Match"] = etag
                if current == url and last_modified:
                    conditional["If-Modified-Since"] = last_modified
                await self._request(result, current, conditional)
                result.final_url = current
                status = result.status or 0
                location = result.header("location")
                if status in REDIRECTS and location:
                    nxt = urljoin(current, location.strip())
                    if nxt in visited:
                        raise _Refused("refused", "redirect_loop", f"redirect loop at {current} -> {nxt}")
                    visited.add(nxt)
                    current = nxt
                    continue
                break
            else:
                raise _Refused("refused", "too_many_redirects", f"more than {self.limits.max_redirects} redirects from {url}")
        except _Refused as ref:
            result.outcome, result.reason, result.error = ref.outcome, ref.reason, ref.error
            result.body = None
            return result
        status = result.status or 0
        if status == 304:
            result.outcome = "not_modified"
        elif 200 <= status < 300:
            result.outcome = "ok"
        elif status in REDIRECTS:
            result.outcome, result.reason, result.error = "failed", "bad_redirect", f"status {status} without a Location header"
        else:
            result.outcome, result.reason = "failed", f"http_{status}"
            result.error = result.error or f"the server answered {status}"
            result.body = None
        return result

    async def _request(self, result: FetchResult, url: str, headers: dict[str, str]) -> None:
        """One URL with retries. Fills result.status/headers/body or raises _Refused."""
        host = urlsplit(url).hostname or ""
        sem = self._host_sem.setdefault(host, asyncio.Semaphore(self.limits.per_host))
        attempts_allowed = self.limits.retries + 1
        for attempt in range(1, attempts_allowed + 1):
            result.attempts += 1
            wait: float | None = None
            async with self._total, sem:
                await self._pace(host)
                seconds, why = self._time_left(host)
                try:
                    async with asyncio.timeout(seconds):
                        status = await self._once(result, url, headers)
                except TimeoutError:
                    raise _Refused("failed", *why) from None
                except httpx.TimeoutException as err:
                    status, failure = None, ("timeout", f"{type(err).__name__}: no answer within the timeout")
                except httpx.TransportError as err:
                    status, failure = None, ("connect_error", f"{type(err).__name__}: {err}")
            if status is not None and status not in RETRY_STATUSES:
                return
            if status is not None:
                failure = (f"http_{status}", f"the server answered {status}")
                wait = _retry_after(result.header("retry-after"))
                if wait is not None and wait > self.limits.max_retry_after:
                    detail = f"the server answered {status} with Retry-After {wait:.0f}s (longer than max_retry_after)"
                    raise _Refused("failed", failure[0], detail)
            if attempt == attempts_allowed:
                raise _Refused("failed", failure[0], f"{failure[1]} (after {attempt} attempts)")
            if wait is None:
                base = self.limits.backoff * (2 ** (attempt - 1))
                wait = base + self._jitter() * base
            await self._sleep(wait)

    def _time_left(self, host: str) -> tuple[float, tuple[str, str]]:
        """Seconds the next response may take, and the failure when they run out: the response's
        own deadline, or what is left of the host's or the run's (none left: failed at once)."""
        lim = self.limits
        now = time.monotonic()
        started = self._host_started.setdefault(host, now)
        limits = [
            (lim.response_timeout, ("too_slow", f"the response took longer than {lim.response_timeout:g} s (response_timeout)")),
            (started + lim.host_timeout - now,
             ("host_deadline", f"{host} has had its {lim.host_timeout:g} s for this run (host_timeout)")),
        ]
        if self.deadline is not None:
            limits.append((self.deadline - now, ("run_deadline", "the fetch run's deadline passed (run_timeout)")))
        seconds, why = min(limits, key=lambda item: item[0])
        if seconds <= 0:
            raise _Refused("failed", why[0], why[1].replace("took longer", "would take longer"))
        return seconds, why

    async def _once(self, result: FetchResult, url: str, headers: dict[str, str]) -> int:
        assert self._client is not None, "use Fetcher as an async context manager"
        self.requests += 1
        fetched_at = datetime.now(UTC)
        async with self._client.stream("GET", url, headers=headers) as resp:
            peer = _peer_address(resp)
            if not self.source.allow_private_addresses and peer is not None and _blocked_address(peer):
                host = urlsplit(url).hostname
                detail = f"{host} was reached at {peer}, a private or reserved address (its name resolved differently when checked)"
                raise _Refused("refused", "private_address", detail)
            result.status = resp.status_code
            result.headers = {k.lower(): v for k, v in resp.headers.items()}
            result.fetched_at = fetched_at
            media = _media_type(resp.headers)
            if 200 <= resp.status_code < 300 and not _type_ok(result.kind, media):
                detail = f"content type {media or 'none'!r} is not accepted for a {result.kind}"
                raise _Refused("refused", "unsupported_content_type", detail)
            robots = result.kind == "robots"
            cap = ROBOTS_MAX_BYTES if robots else self.limits.max_bytes
            declared = resp.headers.get("content-length", "")
            encoded = bool((resp.headers.get("content-encoding") or "").strip(" ,").replace("identity", ""))
            if not robots and not encoded and declared.isdigit() and int(declared) > cap:
                raise _Refused("refused", "too_large", f"Content-Length {declared} is above max_bytes {cap}")
            decoder = _BodyDecoder(resp.headers.get("content-encoding"), cap)
            body = bytearray()
            try:
                async for chunk in resp.aiter_raw():
                    body += decoder.feed(chunk)
                body += decoder.feed(b"")
            except _TooLarge as over:
                if not robots:
                    detail = f"the body is larger than max_bytes {cap}" + (" once decoded" if encoded else "")
                    raise _Refused("refused", "too_large", detail) from None
                body += over.last  # robots.txt: the complete lines of its first 500 KiB are parsed
                del body[body.rfind(b"\n") + 1:]
            result.body = bytes(body)
            if self.on_response is not None:
                kept = [(k, v) for k, v in resp.headers.multi_items() if k.lower() not in _TRANSFER_HEADERS]
                kept.append(("Content-Length", str(len(body))))
                self.on_response(
                    ResponseRecord(
                        url=url,
                        status=resp.status_code,
                        reason_phrase=resp.reason_phrase or "",
                        http_version=resp.http_version or "HTTP/1.1",
                        headers=kept,
                        body=result.body,
                        fetched_at=fetched_at,
                        kind=result.kind,
                        source_id=self.source.id,
                        outlet=self.source.name,
                    )
                )
            return resp.status_code
