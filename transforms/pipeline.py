"""transform_document: one raw document in, one DocumentResult (article or reject) out.

decode -> main text (trafilatura for HTML) -> normalise -> boilerplate rules and embeds (clean.py,
embeds.py) -> header: title, caption, byline, subtitle, SEO suffix (headings.py) -> outlet
(outlets.py) -> publication date (metadata, then dates.py) -> facts -> ids.
Pure: no I/O beyond reading the package's own rule files, no globals that change.
"""

from __future__ import annotations

from dataclasses import dataclass

from transforms.clean import clean_document, load_rules
from transforms.dates import month_years, resolve_text_date
from transforms.decode import DecodeError, decode_bytes
from transforms.embeds import attach_status_urls
from transforms.facts import extract_facts
from transforms.fields import ParsedDate, detect_language, parse_iso_date
from transforms.headings import analyse_header, match_caption
from transforms.html import extract_html
from transforms.identity import article_id, article_identity, content_hash, safe_source_id
from transforms.normalize import safe_text, search_form, word_count
from transforms.outlets import OutletSignal, canonical_outlet, detect_outlet, is_domain_like
from transforms.records import Article, DocumentResult, Embed, RawDocument

MIN_BODY_CHARS = 40


@dataclass(frozen=True, slots=True)
class TransformOptions:
    default_source_id: str = "local"
    min_body_chars: int = MIN_BODY_CHARS
    html_fallback: bool = False  # trafilatura's readability/jusText comparison (slower; see extract_html)


def transform_document(raw: RawDocument, options: TransformOptions | None = None) -> DocumentResult:
    opts = options or TransformOptions()
    try:
        decoded = decode_bytes(raw.content, raw.charset)
    except DecodeError as err:
        return DocumentResult.rejected(raw.input_ref, err.reason, err.detail)

    meta_title = meta_date = meta_author = meta_site = None
    captions: tuple[str, ...] = ()
    tweet_urls: tuple[str, ...] = ()
    section: str | None = None
    url = raw.url
    if raw.media_type == "html":
        extraction = extract_html(decoded.text, raw.url, fallback=opts.html_fallback)
        if extraction is None:
            return DocumentResult.rejected(raw.input_ref, "no_text", "the HTML page has no extractable main text")
        text = extraction.text
        meta_title, meta_date, meta_author = extraction.title, extraction.date, extraction.author
        meta_site = extraction.sitename
        captions = extraction.captions
        tweet_urls = extraction.tweet_urls
        section = extraction.categories[0] if extraction.categories else None
        url = url or extraction.url
        extractor = "trafilatura"
    else:
        text = decoded.text
        extractor = "text"

    lines = safe_text(text).split("\n")
    doc_language = detect_language(text)
    cleaned = clean_document(lines, load_rules(doc_language, raw.source_id))
    title_hint = safe_text(raw.title) if raw.title else (strip_site_name(safe_text(meta_title), meta_site) if meta_title else None)
    header = analyse_header(cleaned.lines, title_hint=title_hint or None, title_from_text=True)
    title = header.title
    embeds = [*header.embeds, *page_captions(captions, header.embeds), *attach_status_urls(cleaned.embeds, tweet_urls)]
    removed = sorted([*cleaned.removed, *header.removed], key=lambda r: r.line_no)

    body = "\n".join(line for _, line in header.lines)
    if len(body) < opts.min_body_chars:
        return DocumentResult.rejected(
            raw.input_ref, "no_text", f"only {len(body)} characters of article text after cleaning"
        )
    body_search = search_form(body)
    source_id = safe_source_id(raw.source_id, opts.default_source_id)
    published = publication_date(raw, meta_date, body, embeds)
    chash = content_hash(body_search)
    identity = article_identity(url, source_id, search_form(title) if title else chash)
    signal = detect_outlet(
        byline_outlet=header.byline if header.byline_is_outlet else None,
        first_line=header.lines[0][1] if header.lines else None,
        removed_lines=[r.line for r in removed],
        short_links=[e.url for e in embeds if e.kind == "short_link" and e.url],
        url=url,
    )
    article = Article(
        article_id=article_id(identity),
        identity=identity,
        source_id=source_id,
        outlet=raw.outlet or _outlet(meta_site, signal),
        url=url,
        input_ref=raw.input_ref,
        title=title,
        subtitle=header.subtitle,
        byline=meta_author or header.byline,
        section=section or header.section,
        published_at=published.value,
        published_precision=published.precision,
        date_note=published.note,
        language=detect_language(body),
        body=body,
        body_search=body_search,
        word_count=word_count(body),
        content_hash=chash,
        extractor=extractor,
    )
    facts = extract_facts(body, body_search, title)
    return DocumentResult(
        input_ref=raw.input_ref,
        article=article,
        removed=removed,
        embeds=embeds,
        mentions=facts.mentions,
        figures=facts.figures,
    )


def publication_date(raw: RawDocument, meta_date: str | None, body: str, embeds: list[Embed]) -> ParsedDate:
    """Supplied date, then page metadata (htmldate), then the text with its evidence."""
    notes = []
    for value, origin in ((raw.published_at, "input metadata"), (meta_date, "page metadata")):
        if value:
            parsed = parse_iso_date(value, origin)
            if parsed.value is not None:
                return parsed
            notes.append(parsed.note)
    strong = [e.posted_at.date() for e in embeds if e.kind == "tweet" and e.posted_at is not None]
    months = [ym for e in embeds if e.kind == "caption" and e.text for ym in month_years(e.text)]
    parsed = resolve_text_date(body, strong_evidence=strong, evidence_months=months, fetched_at=raw.fetched_at)
    if notes and parsed.value is None:
        return ParsedDate(None, "none", "; ".join([*(n for n in notes if n), parsed.note or ""]).strip("; "))
    return parsed


def _outlet(meta_site: str | None, signal: OutletSignal | None) -> str | None:
    """A site name from page metadata wins over text signals, except a bare domain (trafilatura's
    fallback), which only wins when the text names no outlet."""
    if meta_site and not is_domain_like(meta_site):
        return canonical_outlet(meta_site)
    if signal is not None:
        return signal.outlet
    return canonical_outlet(meta_site)


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
