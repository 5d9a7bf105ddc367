"""transform_document: one raw document in, one DocumentResult (article or reject) out.

decode -> main text (trafilatura for HTML) -> normalise -> source (what the input says, the
--source-id option, or the registry by URL domain / site name) -> boilerplate rules and embeds
(clean.py, embeds.py; the source's own rules first) -> header: title, caption, byline, subtitle,
SEO suffix (headings.py) -> outlet (outlets.py; a source still unknown is the registered outlet
the text names: short link, byline, lead-in, appeal) -> publication date (metadata, then
dates.py) -> facts -> ids. Where each resolved field came from is kept (`Provenance`).
Pure: no I/O beyond reading the package's own rule and registry files, no globals that change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from transforms.clean import CleanResult, clean_document
from transforms.dates import month_years, resolve_text_date, weekday_agrees
from transforms.decode import DecodeError, decode_bytes
from transforms.embeds import attach_status_urls
from transforms.facts import extract_facts
from transforms.fields import ParsedDate, detect_language, parse_iso_date
from transforms.headings import Header, analyse_header, match_caption
from transforms.identity import article_id, article_identity, content_hash, safe_source_id
from transforms.normalize import safe_text, search_form, word_count
from transforms.outlets import OutletSignal, by_domain, canonical_outlet, detect_outlet, is_domain_like, site_source
from transforms.page_meta import PageDates
from transforms.records import Article, DocumentResult, Embed, Provenance, RawDocument, Removed
from transforms.registry import get_source, rules_for

if TYPE_CHECKING:
    from transforms.html import RecallMode  # trafilatura's imports only where HTML is read

MIN_BODY_CHARS = 40


@dataclass(frozen=True, slots=True)
class TransformOptions:
    default_source_id: str = "local"  # the source of a document nothing else names
    source_id: str | None = None  # --source-id: the source of documents whose input names none
    min_body_chars: int = MIN_BODY_CHARS
    html_fallback: bool = False  # always trafilatura's readability/jusText comparison (slower; see extract_html)
    html_gate: bool = True  # the comparison where the fast result looks incomplete; False: never (measurements)
    html_recall: RecallMode = "gated"  # a fast pass favouring recall where the first looks short (extract_html)


@dataclass(slots=True)
class _Cleaned:
    """The text after boilerplate rules and header analysis, with what left it."""

    cleaned: CleanResult
    header: Header
    embeds: list[Embed]
    removed: list[Removed]
    signal: OutletSignal | None


def transform_document(raw: RawDocument, options: TransformOptions | None = None) -> DocumentResult:
    opts = options or TransformOptions()
    try:
        decoded = decode_bytes(raw.content, raw.charset)
    except DecodeError as err:
        return DocumentResult.rejected(raw.input_ref, err.reason, err.detail)

    meta_title = meta_author = meta_site = None
    page_dates = PageDates()
    captions: tuple[str, ...] = ()
    tweet_urls: tuple[str, ...] = ()
    section: str | None = None
    url = raw.url
    if raw.media_type == "html":
        from transforms.html import extract_html  # noqa: PLC0415  # trafilatura (~0.3 s of imports) only for HTML

        extraction = extract_html(
            decoded.text,
            raw.url,
            fallback=opts.html_fallback,
            gate=opts.html_gate,
            recall=opts.html_recall,
            fetched_at=raw.fetched_at,
        )
        if extraction is None:
            return DocumentResult.rejected(raw.input_ref, "no_text", "the HTML page has no extractable main text")
        text = extraction.text
        meta_title, meta_author, page_dates = extraction.title, extraction.author, extraction.dates
        meta_site = extraction.sitename
        captions = extraction.captions
        tweet_urls = extraction.tweet_urls
        section = extraction.categories[0] if extraction.categories else None
        url = url or extraction.url
        extractor = {"fast": "trafilatura", "fast_recall": "trafilatura+recall", "full": "trafilatura+fallback"}[extraction.path]
    else:
        text = decoded.text
        extractor = "text"

    lines = safe_text(text).split("\n")
    doc_language = detect_language(text)
    title_hint = safe_text(raw.title) if raw.title else (strip_site_name(safe_text(meta_title), meta_site) if meta_title else None)
    source, source_from = _named_source(raw, opts, url, meta_site)

    def clean(source_id: str | None) -> _Cleaned:
        cleaned = clean_document(lines, rules_for(doc_language, source_id))
        header = analyse_header(cleaned.lines, title_hint=title_hint or None, title_from_text=True)
        embeds = [*header.embeds, *page_captions(captions, header.embeds), *attach_status_urls(cleaned.embeds, tweet_urls)]
        removed = sorted([*cleaned.removed, *header.removed], key=lambda r: r.line_no)
        signal = detect_outlet(
            byline_outlet=header.byline if header.byline_is_outlet else None,
            first_line=header.lines[0][1] if header.lines else None,
            removed_lines=[r.line for r in removed],
            short_links=[e.url for e in embeds if e.kind == "short_link" and e.url],
            url=url,
        )
        return _Cleaned(cleaned, header, embeds, removed, signal)

    done = clean(source)
    if source is None:  # the registered outlet the text names
        source, source_from = _text_source(done)
        if source is not None and rules_for(doc_language, source) is not rules_for(doc_language, None):
            done = clean(source)  # the outlet's own rules apply too
    header, embeds, removed = done.header, done.embeds, done.removed
    title = header.title

    body = "\n".join(line for _, line in header.lines)
    if len(body) < opts.min_body_chars:
        return DocumentResult.rejected(
            raw.input_ref, "no_text", f"only {len(body)} characters of article text after cleaning"
        )
    body_search = search_form(body)
    source_id = safe_source_id(source, opts.default_source_id)
    registered = get_source(source_id)
    zone = ZoneInfo(registered.dates.timezone) if registered is not None and registered.dates.timezone else None
    published, date_from = publication_date(raw, page_dates, body, embeds, zone)
    chash = content_hash(body_search)
    identity = article_identity(url, source_id, search_form(title) if title else chash)
    outlet, outlet_from = (raw.outlet, "input") if raw.outlet else _outlet(meta_site, done.signal)
    if outlet is None and registered is not None:
        outlet, outlet_from = registered.name, "registry"
    article = Article(
        article_id=article_id(identity),
        identity=identity,
        source_id=source_id,
        outlet=outlet,
        url=url,
        input_ref=raw.input_ref,
        title=title,
        subtitle=header.subtitle,
        byline=meta_author or header.byline,
        section=section or header.section,
        published_at=published.value,
        published_precision=published.precision,
        published_offset_minutes=published.offset_minutes,
        date_note=published.note,
        language=detect_language(body),
        body=body,
        body_search=body_search,
        word_count=word_count(body),
        content_hash=chash,
        extractor=extractor,
    )
    facts = extract_facts(body, body_search, title)
    title_from = None if title is None else ("input" if raw.title else "page_metadata" if title_hint else "text")
    return DocumentResult(
        input_ref=raw.input_ref,
        article=article,
        removed=removed,
        embeds=embeds,
        mentions=facts.mentions,
        figures=facts.figures,
        provenance=Provenance(source_from if source else "default", outlet_from, title_from, date_from),
    )


def _named_source(raw: RawDocument, opts: TransformOptions, url: str | None, site: str | None) -> tuple[str | None, str]:
    """The source before the text is read: what the input says, the --source-id option, the
    registered source of the URL's domain, then of the page's site name."""
    for given, where in ((raw.source_id, "input"), (opts.source_id, "option")):
        slug = safe_source_id(given, "")
        if slug:
            return slug, where
    known = by_domain(url)
    if known is not None:
        return known.id, "domain"
    known = site_source(site)
    if known is not None:
        return known.id, "site_name"
    return None, "default"


def _text_source(done: _Cleaned) -> tuple[str | None, str]:
    """The registered source the text names: its own short link (where the page is published)
    first, then the outlet of its byline, lead-in or donation appeal."""
    for embed in done.embeds:
        known = by_domain(embed.url) if embed.kind == "short_link" else None
        if known is not None:
            return known.id, "short_link"
    signal = done.signal
    if signal is not None and signal.source_id is not None and signal.signal in ("byline", "lead_in", "appeal"):
        return signal.source_id, signal.signal
    return None, "default"


def publication_date(
    raw: RawDocument, page: PageDates, body: str, embeds: list[Embed], zone: tzinfo | None = None
) -> tuple[ParsedDate, str | None]:
    """The supplied date, then the page's metadata, its dateline, the text's own date (dates.py,
    with its evidence), and last htmldate's backed search of the page; with where the date came
    from (input | page_metadata | dateline | text | text_search, or None)."""
    notes = []
    given = [(raw.published_at, "input metadata", "input")]
    given += [(c.value, c.origin, c.where) for c in (page.metadata, page.dateline) if c is not None]
    for value, origin, where in given:
        if value:
            parsed = parse_iso_date(value, origin, zone)
            if parsed.value is not None:
                return parsed, where
            notes.append(parsed.note)
    strong = [e.posted_at.date() for e in embeds if e.kind == "tweet" and e.posted_at is not None]
    months = [ym for e in embeds if e.kind == "caption" and e.text for ym in month_years(e.text)]
    parsed = resolve_text_date(body, strong_evidence=strong, evidence_months=months, fetched_at=raw.fetched_at)
    if parsed.value is not None:
        return parsed, "text"
    if page.text_search is not None:
        guessed = parse_iso_date(page.text_search.value, page.text_search.origin)
        if guessed.value is not None and weekday_agrees(guessed.value.date(), body):
            return guessed, page.text_search.where
    if notes:
        return ParsedDate(None, "none", "; ".join([*(n for n in notes if n), parsed.note or ""]).strip("; ")), None
    return parsed, None


def _outlet(meta_site: str | None, signal: OutletSignal | None) -> tuple[str | None, str | None]:
    """A site name from page metadata wins over text signals, except a bare domain (trafilatura's
    fallback), which only wins when the text names no outlet; with the signal used."""
    if meta_site and not is_domain_like(meta_site):
        return canonical_outlet(meta_site), "page_metadata"
    if signal is not None:
        return signal.outlet, signal.signal
    outlet = canonical_outlet(meta_site)
    return outlet, "page_metadata" if outlet else None


def page_captions(captions: tuple[str, ...], seen: list[Embed]) -> list[Embed]:
    """<figcaption> texts as caption embeds (credit in parentheses as the author)."""
    known = {e.text for e in seen}
    out = []
    for text in captions:
        if text in known:
            continue
        parsed = match_caption(safe_text(text))
        out.append(parsed if parsed is not None else Embed("caption", text=safe_text(text)))
    return out


def strip_site_name(title: str, site: str | None) -> str:
    """"Headline - Site" / "Headline | Site" / "Headline – Site" from a page <title> -> "Headline"."""
    if not site:
        return title
    for sep in (" - ", " | ", " – ", " — "):
        if title.endswith(sep + site) and len(title) > len(sep + site):
            return title[: -len(sep + site)].strip()
    return title
