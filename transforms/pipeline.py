"""transform_document: one raw document in, one DocumentResult (article or reject) out.

decode -> main text (trafilatura for HTML) -> boilerplate rules -> normalise -> fields -> ids.
Pure: no I/O beyond reading the package's own rule files, no globals that change.
"""

from __future__ import annotations

from dataclasses import dataclass

from transforms.clean import clean_lines, load_rules
from transforms.decode import DecodeError, decode_bytes
from transforms.facts import extract_facts
from transforms.fields import detect_language, looks_like_headline, parse_iso_date
from transforms.html import extract_html
from transforms.identity import article_id, article_identity, content_hash, safe_source_id
from transforms.normalize import safe_text, search_form, word_count
from transforms.records import Article, DocumentResult, RawDocument

MIN_BODY_CHARS = 40


@dataclass(frozen=True, slots=True)
class TransformOptions:
    default_source_id: str = "local"
    min_body_chars: int = MIN_BODY_CHARS


def transform_document(raw: RawDocument, options: TransformOptions | None = None) -> DocumentResult:
    opts = options or TransformOptions()
    try:
        decoded = decode_bytes(raw.content, raw.charset)
    except DecodeError as err:
        return DocumentResult.rejected(raw.input_ref, err.reason, err.detail)

    meta_title = meta_date = meta_author = meta_site = None
    section: str | None = None
    url = raw.url
    if raw.media_type == "html":
        extraction = extract_html(decoded.text, raw.url)
        if extraction is None:
            return DocumentResult.rejected(raw.input_ref, "no_text", "the HTML page has no extractable main text")
        text = extraction.text
        meta_title, meta_date, meta_author = extraction.title, extraction.date, extraction.author
        meta_site = extraction.sitename
        section = extraction.categories[0] if extraction.categories else None
        url = url or extraction.url
        extractor = "trafilatura"
    else:
        text = decoded.text
        extractor = "text"

    lines = safe_text(text).split("\n")
    cleaned = clean_lines(lines, load_rules("ar"))
    content_lines = [line for line in cleaned.lines if line]

    title = safe_text(raw.title) if raw.title else (safe_text(meta_title) if meta_title else None)
    if title is None and content_lines and looks_like_headline(content_lines[0]):
        title = content_lines.pop(0)
    elif title is not None and content_lines and content_lines[0] == title:
        content_lines.pop(0)

    body = "\n".join(content_lines)
    if len(body) < opts.min_body_chars:
        return DocumentResult.rejected(
            raw.input_ref, "no_text", f"only {len(body)} characters of article text after cleaning"
        )
    body_search = search_form(body)
    source_id = safe_source_id(raw.source_id, opts.default_source_id)
    published = parse_iso_date(raw.published_at or meta_date, "input metadata" if raw.published_at else "page metadata")
    chash = content_hash(body_search)
    identity = article_identity(url, source_id, search_form(title) if title else chash)
    article = Article(
        article_id=article_id(identity),
        identity=identity,
        source_id=source_id,
        outlet=raw.outlet or meta_site,
        url=url,
        input_ref=raw.input_ref,
        title=title,
        subtitle=None,
        byline=meta_author,
        section=section,
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
    facts = extract_facts(body, body_search)
    return DocumentResult(
        input_ref=raw.input_ref,
        article=article,
        removed=cleaned.removed,
        mentions=facts.mentions,
        figures=facts.figures,
    )
