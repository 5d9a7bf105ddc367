from __future__ import annotations

import pytest

from transforms.decode import DecodeError, declared_charset, decode_bytes

ARABIC = "قوات سوريا الديمقراطية في دير الزور"


def test_utf8_and_bom() -> None:
    assert decode_bytes(ARABIC.encode()).text == ARABIC
    assert decode_bytes(b"\xef\xbb\xbf" + ARABIC.encode()).text == ARABIC


def test_windows_1256_without_declaration() -> None:
    out = decode_bytes(ARABIC.encode("cp1256"))
    assert out.text == ARABIC and out.encoding == "cp1256"


def test_utf8_page_with_wrong_header_still_utf8() -> None:
    assert decode_bytes(ARABIC.encode(), header_charset="windows-1256").text == ARABIC


def test_meta_charset_is_honoured() -> None:
    page = f'<html><head><meta charset="windows-1256"></head><body>{ARABIC}</body></html>'.encode("cp1256")
    assert declared_charset(page) == "cp1256"
    assert ARABIC in decode_bytes(page).text


@pytest.mark.parametrize(("data", "reason"), [(b"", "empty"), (b"  \n ", "empty"), (b"\x00\x01\x02abc", "binary")])
def test_refusals(data: bytes, reason: str) -> None:
    with pytest.raises(DecodeError) as err:
        decode_bytes(data)
    assert err.value.reason == reason
