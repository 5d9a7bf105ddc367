"""Two forms of the article text.

`safe_text` keeps the original characters after fixes that never change meaning: NFC, bidi and
zero-width controls removed, Persian yeh/keheh/heh-doachashmee mapped to their Arabic letters
inside Arabic words, tatweel removed inside words, whitespace tidied.

`search_form` is the matching form used by `body_search`, entity rules and deduplication: no
diacritics, alef variants to bare alef, alef maqsura to yeh, teh marbuta to heh, Arabic-Indic and
Persian digits to ASCII, typographic quotes unified, lower-cased Latin.
"""

from __future__ import annotations

import re
import unicodedata

# Bidi embeddings/isolates/marks and zero-width characters (ZWNJ is kept: it is meaningful in
# Persian words but is not used inside Arabic ones, so it is dropped only between Arabic letters).
_CONTROLS = dict.fromkeys(
    map(ord, "\u200b\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff\u00ad"),
    None,
)
_ARABIC_LETTER = "\u0621-\u064a\u0671-\u06d3\u06fa-\u06ff"
_PERSIAN_IN_ARABIC = re.compile(f"(?<=[{_ARABIC_LETTER}])[\u06cc\u06a9\u06be]|[\u06cc\u06a9\u06be](?=[{_ARABIC_LETTER}])")
_PERSIAN_MAP = {"\u06cc": "\u064a", "\u06a9": "\u0643", "\u06be": "\u0647"}
_TATWEEL_IN_WORD = re.compile(f"(?<=[{_ARABIC_LETTER}])\u0640+(?=[{_ARABIC_LETTER}])")
_ZWNJ_IN_ARABIC = re.compile(f"(?<=[{_ARABIC_LETTER}])\u200c(?=[{_ARABIC_LETTER}])")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
# The runs _SPACES would change: one that starts with a space other than " " (then the whole
# run), or " " followed by more spaces. Substituting only those gives the same text without
# rewriting every single space; a leading character class lets the regex engine scan fast.
_SPACES_TO_FIX = re.compile(
    r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]"
    r"(?:(?<=[\t\u00a0\u2000-\u200a\u202f\u205f\u3000])[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]*"
    r"|[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+)"
)
_BLANK_LINES = re.compile(r"\n{3,}")

_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
_SEARCH_MAP = str.maketrans(
    {
        "\u0622": "\u0627",  # آ
        "\u0623": "\u0627",  # أ
        "\u0625": "\u0627",  # إ
        "\u0671": "\u0627",  # ٱ
        "\u0649": "\u064a",  # ى -> ي
        "\u0629": "\u0647",  # ة -> ه
        "\u0640": None,  # tatweel anywhere
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u2032": "'",
        **{chr(0x0660 + i): str(i) for i in range(10)},  # Arabic-Indic digits
        **{chr(0x06F0 + i): str(i) for i in range(10)},  # Persian digits
        "\u066b": ".",  # Arabic decimal separator
        "\u066c": ",",  # Arabic thousands separator
    }
)


# str.translate with a dict looks every character up (slow for Arabic text). _SEARCH_MAP maps
# one character to at most one and no replacement is itself a key, so chained str.replace
# calls (fast scans, a no-op when the character is absent) give the same text; the controls
# are only deleted, which one regex substitution does.
_CONTROL_CHARS = re.compile("[" + "".join(chr(c) for c in _CONTROLS) + "]")
_SEARCH_PAIRS = tuple((chr(c), r or "") for c, r in _SEARCH_MAP.items())


def safe_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL_CHARS.sub("", text)  # text.translate(_CONTROLS)
    if "\u200c" in text:
        text = _ZWNJ_IN_ARABIC.sub("", text)
    if "\u06cc" in text or "\u06a9" in text or "\u06be" in text:
        text = _PERSIAN_IN_ARABIC.sub(lambda m: _PERSIAN_MAP[m.group(0)], text)
    if "\u0640" in text:
        text = _TATWEEL_IN_WORD.sub("", text)
    # _SPACES never spans a line break, so the whole text at once is the same as line by line
    lines = [line.strip() for line in _SPACES_TO_FIX.sub(" ", text).split("\n")]
    text = "\n".join(lines)
    return (_BLANK_LINES.sub("\n\n", text) if "\n\n\n" in text else text).strip()


def search_form(text: str) -> str:
    """Matching form. Keeps the length-independent structure (lines) but not offsets of `body`."""
    text = _DIACRITICS.sub("", text)
    for ch, repl in _SEARCH_PAIRS:  # text.translate(_SEARCH_MAP)
        text = text.replace(ch, repl)
    return text.lower()


def word_count(text: str) -> int:
    return len(re.findall(r"\w+", text))


_LETTER_MAP = str.maketrans(
    {"\u0622": "\u0627", "\u0623": "\u0627", "\u0625": "\u0627", "\u0671": "\u0627", "\u0649": "\u064a", "\u0629": "\u0647"}
)


def search_letters(text: str) -> str:
    """Only the Arabic-letter part of `search_form` (no diacritics, alef/yeh/teh marbuta unified),
    leaving case, digits and punctuation alone: safe to apply to a regular expression."""
    return _DIACRITICS.sub("", text).translate(_LETTER_MAP)
