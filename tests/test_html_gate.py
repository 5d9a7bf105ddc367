"""When the HTML extraction runs trafilatura's full cascade (readability/jusText comparison) and
when it takes its text (transforms/html.py)."""

from __future__ import annotations

from transforms.html import adds_prose, extract_html, finds_more, looks_incomplete, parse_tree, run_trafilatura, visible_length

SENTENCE = "The council approved the new water plan for the district after a long debate on Tuesday."


def article_page(paragraphs: int, extra: str = "") -> str:
    body = "".join(f"<p>{SENTENCE} Paragraph {i} says more about it.</p>" for i in range(paragraphs))
    return f"<html><body><nav><a href='/'>Home</a></nav><article><h1>Water plan</h1>{body}</article>{extra}</body></html>"


def test_visible_length_leaves_out_scripts_and_styles() -> None:
    tree = parse_tree("<html><head><style>p{}</style></head><body><p>one two</p><script>var x = 'long long long';</script></body></html>")
    assert tree is not None and visible_length(tree) == len("one two")


def test_a_long_article_is_complete_and_runs_no_comparison() -> None:
    html = article_page(12)
    tree = parse_tree(html)
    assert tree is not None
    extraction = extract_html(html)
    assert extraction is not None and extraction.path == "fast"
    assert not looks_incomplete(run_trafilatura(tree, None, fast=True), tree)


def test_few_blocks_or_a_small_share_of_the_page_looks_incomplete() -> None:
    few = parse_tree(article_page(3))
    assert few is not None and looks_incomplete(run_trafilatura(few, None, fast=True), few)
    # twelve paragraphs, but the page shows five times more text elsewhere (a long list of links)
    links = "<ul>" + "".join(f"<li><a href='/x{i}'>{SENTENCE} link {i}</a></li>" for i in range(60)) + "</ul>"
    crowded = parse_tree(article_page(12, links))
    assert crowded is not None
    assert looks_incomplete(run_trafilatura(crowded, None, fast=True), crowded)
    # the comparison ran; its text was taken or declined, and an article came out either way
    extraction = extract_html(article_page(3))
    assert extraction is not None and SENTENCE in extraction.text


def test_fallback_always_and_gate_off_never() -> None:
    html = article_page(3)
    always, never = extract_html(html, fallback=True), extract_html(html, gate=False, recall="never")
    assert always is not None and always.path == "full"
    assert never is not None and never.path == "fast"
    recall = extract_html(html, gate=False, recall="always")
    assert recall is not None and recall.path == "fast_recall"


def test_the_recall_pass_is_taken_only_when_it_finds_much_more() -> None:
    first = f"{SENTENCE}\n{SENTENCE}"
    assert finds_more(first, first + "\n" + "\n".join([SENTENCE] * 3))  # a missed section
    assert not finds_more(first, first + "\nNovember 19, 2019 / 12:21 AM / Updated 14 hours ago")  # a dateline more
    assert finds_more("", SENTENCE) and not finds_more("", "  ")
    # a short page: the recall pass runs but finds the same text, so the first pass's stays
    extraction = extract_html(article_page(3), recall="gated", gate=False)
    assert extraction is not None and extraction.path == "fast"


def test_what_the_comparison_adds_must_read_as_prose() -> None:
    fast = f"{SENTENCE}\nA second paragraph of the article ends here."
    more_article = fast + "\nA third paragraph, which the fast mode missed, ends with a full stop.\nAnd a fourth one does too."
    teasers = fast + "\nWhen the council denies your claim, it can feel like\nFive tips for the garden in winter …\nRead more"
    banners = fast + "\n" + "\n".join(["Free shipping on orders over $40"] * 5)
    assert adds_prose(fast, more_article)
    assert not adds_prose(fast, teasers) and not adds_prose(fast, banners)
    assert adds_prose(fast, SENTENCE)  # nothing added (a shorter text): taken
