"""parsers.encoding on real pages from the shared corpus and on lying declarations."""

from __future__ import annotations

import csv
import itertools
import random
import re
from pathlib import Path

import pytest

from parsers.encoding import (
    Decoded,
    charset_from_content_type,
    decode_html,
    decode_text,
    fix_mojibake,
    looks_binary,
)

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPUS = SHARED / "corpus"
CHARDET = CORPUS / "encodings" / "chardet"
AZ_CSV = CORPUS / "encodings" / "azerbaijani" / "parsAZ_report_az_sample.csv"
FEED_ENCODING = CORPUS / "feeds" / "feedparser" / "encoding"

#: chardet folder name -> the Python codec that reads it correctly (browsers' supersets).
TRUE_CODEC = {
    "Big5": "big5hkscs",
    "EUC-JP": "euc_jp",
    "EUC-KR": "cp949",
    "GB2312": "gb18030",
    "IBM866": "cp866",
    "KOI8-R": "koi8_r",
    "MacCyrillic": "mac_cyrillic",
    "SHIFT_JIS": "cp932",
    "UTF-16": "utf-16",
    "UTF-16BE": "utf-16-be",
    "UTF-16LE": "utf-16-le",
    "UTF-32": "utf-32",
    "iso-8859-1": "cp1252",
    "iso-8859-5-bulgarian": "iso8859_5",
    "iso-8859-5-russian": "iso8859_5",
    "iso-8859-7-greek": "iso8859_7",
    "iso-8859-9-turkish": "cp1254",
    "utf-8-sig": "utf-8-sig",
    "utf-8": "utf-8",
    "windows-1251-bulgarian": "cp1251",
    "windows-1251-russian": "cp1251",
    "windows-1252": "cp1252",
    "windows-1254-turkish": "cp1254",
    "windows-1256-arabic": "cp1256",
}


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared corpus not found at {path} (clone ../shared next to the repo)")
    return path


def chardet_files() -> list[Path]:
    return sorted(p for p in need(CHARDET).glob("*/*") if p.parent.name in TRUE_CODEC)


def truth(path: Path) -> str:
    return path.read_bytes().decode(TRUE_CODEC[path.parent.name], "replace").lstrip("\ufeff")


def az_texts(n: int) -> list[str]:
    with need(AZ_CSV).open(encoding="utf-8", newline="") as fh:
        rows = itertools.islice(csv.DictReader(fh), n)
        return [row["title"] + "\n" + row["content"] for row in rows]


def russian_text() -> str:
    raw = need(CHARDET / "windows-1251-russian" / "aif.ru.health.xml").read_bytes()
    return " ".join(re.findall(r"[А-Яа-яЁё][А-Яа-яЁё ,.]{20,}", raw.decode("cp1251")))[:3000]


def page(body: str, charset: str | None = None, lang: str | None = None) -> str:
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">'
    lang_attr = f' lang="{lang}"' if lang else ""
    return (
        f"<!DOCTYPE html><html{lang_attr}><head>{meta if charset else ''}<title>t</title>"
        f"</head><body><p>{body}</p></body></html>"
    )


# --------------------------------------------------------------------------- real corpus


def test_chardet_corpus_decodes_like_the_true_codec() -> None:
    files = chardet_files()
    wrong = []
    for path in files:
        decode = decode_html if path.suffix in (".html", ".xml", ".htm") else decode_text
        got = decode(path.read_bytes())
        if got.text != truth(path):
            wrong.append(f"{path.parent.name}/{path.name}: {got.encoding} ({got.source})")
    share = 1 - len(wrong) / len(files)
    # 146/146 when written; charset-normalizer alone gets 134/146 (91.8%).
    assert share >= 0.98, wrong


def test_pages_that_declare_nothing_are_detected() -> None:
    pages = sorted(need(CHARDET).glob("*/_chromium_*_with_no_encoding_specified.html*"))
    assert len(pages) >= 10
    for path in pages:
        got = decode_html(path.read_bytes())
        assert got.text == truth(path), (path.name, got.encoding)
        assert got.source in ("detected", "default")


def test_windows_1254_turkish_keeps_dotless_i_and_s_cedilla() -> None:
    path = need(CHARDET / "iso-8859-9-turkish" / "subtitle.srt")
    got = decode_text(path.read_bytes())
    assert got.encoding == "windows-1254"
    assert "ı" in got.text and "ş" in got.text and "ð" not in got.text


def test_feedparser_encoding_feeds_decode_to_markup() -> None:
    files = sorted(need(FEED_ENCODING).glob("*.xml"))
    for path in files:
        data = path.read_bytes()
        header = re.search(
            r"Header:\s*Content-type:\s*(.*)", data.replace(b"\0", b"").decode("latin-1")
        )
        got = decode_html(data, header.group(1).strip() if header else None)
        assert got.text.lstrip().startswith("<"), (path.name, got.encoding)
    euc_kr = decode_html((FEED_ENCODING / "euc-kr.xml").read_bytes())
    assert "<title>\ub144</title>" in euc_kr.text
    assert euc_kr.source == "xml"
    utf16 = decode_html((FEED_ENCODING / "utf-16le.xml").read_bytes())
    assert utf16.encoding == "utf-16-le" and utf16.text.startswith("<?xml")
    i18n = decode_html((FEED_ENCODING / "http_i18n.xml").read_bytes(), "application/xml")
    assert "Iñtërnâtiônàlizætiøn" in i18n.text


# --------------------------------------------------------------------------- lying declarations


def test_utf8_page_declaring_iso_8859_1_is_utf8() -> None:
    body = az_texts(3)[2]
    got = decode_html(page(body, "iso-8859-1").encode("utf-8"))
    assert body in got.text
    assert got.encoding == "utf-8" and got.source == "detected"
    assert got.warnings == ["declared iso-8859-1 in <meta> but content is utf-8"]


@pytest.mark.parametrize("declared", ["gb2312", "euc-kr", "windows-1254", "shift_jis"])
def test_utf8_page_with_legacy_http_charset_is_utf8(declared: str) -> None:
    body = az_texts(1)[0] + " 阿塞拜疆总统阿利耶夫对中国进行国事访问"
    got = decode_html(page(body).encode("utf-8"), f"text/html; charset={declared}")
    assert body in got.text and got.encoding == "utf-8"
    assert declared in got.warnings[0]


def test_windows_1251_page_declaring_nothing() -> None:
    body = russian_text()
    got = decode_html(page(body).encode("cp1251"))
    assert body in got.text
    assert got.encoding == "windows-1251" and got.source == "detected"


def test_utf8_bom_beats_a_declared_charset() -> None:
    body = az_texts(1)[0]
    got = decode_html(b"\xef\xbb\xbf" + page(body, "windows-1251").encode("utf-8"))
    assert got.text.startswith("<!DOCTYPE") and body in got.text
    assert (got.encoding, got.source) == ("utf-8", "bom")
    assert "windows-1251" in got.warnings[0]


def test_server_default_latin1_loses_to_meta_windows_1251() -> None:
    body = russian_text()
    data = page(body, "windows-1251").encode("cp1251")
    got = decode_html(data, "text/html; charset=ISO-8859-1")
    assert body in got.text
    assert (got.encoding, got.source) == ("windows-1251", "meta")
    assert "iso-8859-1" in got.warnings[0].lower()


@pytest.mark.parametrize(
    ("real", "declared", "expected"),
    [
        ("cp1251", "windows-1252", "windows-1251"),
        ("cp1251", "koi8-r", "windows-1251"),
        ("koi8_r", "windows-1251", "koi8-r"),
    ],
)
def test_wrong_single_byte_declaration_is_overruled(
    real: str, declared: str, expected: str
) -> None:
    body = russian_text()
    got = decode_html(page(body, declared).encode(real))
    assert body in got.text
    assert got.encoding == expected
    assert got.warnings and declared in got.warnings[0]


def test_french_windows_1252_declared_as_windows_1251() -> None:
    body = "Le président a déclaré que la coopération économique était très forte cet été. " * 4
    got = decode_html(page(body, "windows-1251").encode("cp1252"))
    assert body in got.text and got.encoding == "windows-1252"


def test_gb2312_declaration_decodes_gbk_only_characters() -> None:
    body = "阿塞拜疆总统阿利耶夫会见中国代表团。镕堃喆"  # the last three are not in GB2312
    got = decode_html(page(body, "gb2312").encode("gb18030"))
    assert body in got.text
    assert (got.encoding, got.source) == ("gb18030", "meta")


def test_turkish_page_with_lang_attribute_and_no_charset() -> None:
    path = need(CHARDET / "windows-1254-turkish")
    text = truth(next(path.glob("_chromium_*")))
    got = decode_html(page(text, lang="tr").encode("cp1254"))
    assert got.encoding == "windows-1254" and text in got.text


def test_azerbaijani_schwa_and_dotted_i_survive() -> None:
    for text in az_texts(20):
        got = decode_html(page(text, "windows-1254").encode("utf-8"))
        assert text in got.text
    assert "İ" in "".join(az_texts(20)) and "ə" in "".join(az_texts(20))


def test_mostly_utf8_with_a_broken_byte_stays_utf8() -> None:
    body = az_texts(1)[0]
    data = page(body, "utf-8").encode("utf-8").replace(b"Report", b"Rep\xffort", 1)
    got = decode_html(data)
    assert got.encoding == "utf-8" and "\ufffd" in got.text
    assert "Mingəçevir" in got.text
    assert "invalid utf-8" in got.warnings[0]


def test_seven_bit_iso_2022_jp_is_recognised_without_a_declaration() -> None:
    body = "日本語のニュース、阿塞拜疆"
    got = decode_html(page(body).encode("iso2022_jp_2"))
    assert body in got.text and got.encoding.startswith("iso-2022-jp")
    assert decode_text(b"\x1b[31mred\x1b[0m").text == "\x1b[31mred\x1b[0m"  # ANSI colours


def test_never_raises_on_garbage() -> None:
    rng = random.Random(7)
    for n in (0, 1, 3, 100, 5000):
        data = bytes(rng.randrange(256) for _ in range(n))
        for ct in (None, "text/html; charset=bogus", "text/html; charset=utf-16", "x"):
            got = decode_html(data, ct)
            assert isinstance(got, Decoded) and isinstance(got.text, str)
            assert isinstance(decode_text(data, ct).text, str)


def test_ascii_page_reports_the_declared_charset() -> None:
    got = decode_html(page("plain ascii", "iso-8859-1").encode("ascii"))
    assert (got.encoding, got.source, got.warnings) == ("windows-1252", "meta", [])
    got = decode_html(b"<p>plain</p>")
    assert (got.encoding, got.source) == ("utf-8", "default")


def test_charset_from_content_type() -> None:
    assert charset_from_content_type("text/html; charset=UTF-8") == "utf-8"
    assert charset_from_content_type("text/xml;charset = 'us-ascii'") == "us-ascii"
    assert (
        charset_from_content_type('application/rss+xml; charset="windows-1251"') == "windows-1251"
    )
    assert charset_from_content_type("text/html") is None
    assert charset_from_content_type(None) is None


# --------------------------------------------------------------------------- binary


def test_binary_payloads_are_refused() -> None:
    gz = sorted(need(CORPUS / "feeds").rglob("*.gz"))
    assert gz, "expected gzip feeds in the corpus"
    for path in gz[:5]:
        assert looks_binary(path.read_bytes()), path.name
    assert looks_binary(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    assert looks_binary(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj")
    assert looks_binary(bytes(range(32)) * 10)


def test_text_in_any_encoding_is_not_binary() -> None:
    for path in chardet_files():
        assert not looks_binary(path.read_bytes()), path
    assert not looks_binary(b"")
    assert not looks_binary("Azərbaycan".encode("utf-16"))


# --------------------------------------------------------------------------- mojibake


def as_cp1252_mojibake(text: str) -> str:
    """What a browser shows for UTF-8 read as windows-1252 (undefined bytes as C1 controls)."""
    return "".join(
        chr(b) if b in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else bytes([b]).decode("cp1252")
        for b in text.encode("utf-8")
    )


def test_fix_mojibake_repairs_azerbaijani_news() -> None:
    assert fix_mojibake("AzÉ™rbaycan") == "Azərbaycan"
    texts = az_texts(200)
    for text in texts:
        assert fix_mojibake(as_cp1252_mojibake(text)) == text


def test_fix_mojibake_leaves_correct_text_alone() -> None:
    for text in az_texts(200):
        assert fix_mojibake(text) == text
    for text in ("„Straße“ und „Straße»", "Zürich café", "3×“", "Ã la carte", russian_text()):
        assert fix_mojibake(text) == text
    assert fix_mojibake("donâ€™t cafÃ© Ð¡Ð¾Ð±Ñ‹Ñ‚Ð¸Ñ\x8f") == "don’t café События"
