"""Turn fetched bytes into text, even when the page lies about its charset.

Real news sites declare gb2312, euc-kr or iso-8859-1 and serve UTF-8, or declare
nothing and serve windows-1251. A strict UTF-8 decode that succeeds on non-ASCII
bytes is near-proof of UTF-8, so we try that before trusting any declaration,
and we only pay for statistical detection (charset-normalizer) when both fail.
Nothing here raises: the worst outcome is text with U+FFFD and a warning.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

__all__ = [
    "Decoded",
    "charset_from_content_type",
    "decode_html",
    "decode_text",
    "fix_mojibake",
    "looks_binary",
    "normalize_encoding",
]


@dataclass
class Decoded:
    """Decoded text plus where the codec choice came from (for provenance/warnings)."""

    text: str
    encoding: str  # codec actually used, normalised name e.g. "utf-8", "windows-1251"
    source: str  # "bom" | "http" | "meta" | "xml" | "detected" | "default"
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- names

#: Labels seen on the web that Python does not know, or knows under another meaning.
_ALIASES = {
    "x-sjis": "cp932",
    "sjis": "cp932",
    "ms_kanji": "cp932",
    "windows-31j": "cp932",
    "x-gbk": "gb18030",
    "x-euc-jp": "euc_jp",
    "x-mac-cyrillic": "mac_cyrillic",
    "x-mac-roman": "mac_roman",
    "iso-8859-8-i": "iso8859_8",
    "iso-8859-6-i": "iso8859_6",
    "logical": "iso8859_8",
    "visual": "iso8859_8",
    "x-cp1251": "cp1251",
    "x-cp1252": "cp1252",
    "win-1251": "cp1251",
    "win1251": "cp1251",
    "cp-1251": "cp1251",
    "windows-874": "cp874",
    "tis-620": "cp874",
    "iso-8859-11": "cp874",
    "x-user-defined": "cp1252",
    "unicode": "utf-16",
    "ucs-2": "utf-16",
    "utf8mb4": "utf-8",
    "ansi": "cp1252",
    "none": "",
}

#: Declared charset -> the superset browsers actually use (WHATWG encoding standard).
_SUPERSETS = {
    "ascii": "cp1252",
    "latin_1": "cp1252",
    "iso8859_1": "cp1252",
    "iso8859_9": "cp1254",
    "iso8859_11": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
    "big5": "big5hkscs",
}

_NOT_CHARSETS = {
    "idna", "punycode", "raw_unicode_escape", "unicode_escape", "undefined", "utf_7", "mbcs",
    "oem", "charmap",
}  # fmt: skip

_UNICODE_FAMILY = {"utf_8", "utf_16", "utf_16_le", "utf_16_be", "utf_32", "utf_32_le", "utf_32_be"}


def _codec(label: str | None) -> str | None:
    """Python codec name for a charset label, or None when unknown/unusable."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _ALIASES.get(label, label)
    if not label:
        return None
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError):
        return None
    name = info.name.replace("-", "_")
    # Refuse codecs that are not charsets (base64, rot13, idna ...); UTF-7 is an XSS vector
    # that browsers refuse too.
    if not getattr(info, "_is_text_encoding", True) or name in _NOT_CHARSETS:
        return None
    return name


def normalize_encoding(codec: str) -> str:
    """Human/WHATWG-style name for a Python codec name ("cp1251" -> "windows-1251")."""
    name = codec.lower().replace("_", "-")
    if name == "utf-8-sig":
        return "utf-8"
    m = re.fullmatch(r"cp(125\d)", name)
    if m:
        return "windows-" + m.group(1)
    m = re.fullmatch(r"iso8859-(\d+)", name)
    if m:
        return "iso-8859-" + m.group(1)
    if name == "latin-1":
        return "iso-8859-1"
    if name.startswith("iso2022-"):
        return "iso-2022-" + name[8:]
    if name == "mac-cyrillic":
        return "x-mac-cyrillic"
    return name


def _superset(codec: str) -> str:
    return _SUPERSETS.get(codec, codec)


# --------------------------------------------------------------------------- declarations


def charset_from_content_type(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header, lower-cased, or None."""
    if not content_type:
        return None
    m = re.search(r"charset\s*=\s*[\"']?\s*([^\s;\"',]+)", content_type, re.I)
    if not m:
        return None
    value = m.group(1).strip().lower()
    return value or None


_META_RE = re.compile(rb"<meta\b[^>]*?\bcharset\s*=\s*[\"']?\s*([a-zA-Z0-9_:.()+\-]+)", re.I | re.S)
_XML_RE = re.compile(rb"^\s*<\?xml\b[^>]*?\bencoding\s*=\s*[\"']([a-zA-Z0-9_:.()+\-]+)[\"']", re.I)
_COMMENT_RE = re.compile(rb"<!--.*?-->", re.S)

#: Browsers look for <meta charset> in the first 1024 bytes; real pages put it later.
_META_SCAN = 16384


def _meta_charset(data: bytes) -> str | None:
    head = data[:_META_SCAN]
    if b"<!--" in head:
        head = _COMMENT_RE.sub(b"", head)
    m = _META_RE.search(head)
    return m.group(1).decode("ascii", "ignore").lower() if m else None


def _xml_charset(data: bytes) -> str | None:
    m = _XML_RE.match(data[:512])
    return m.group(1).decode("ascii", "ignore").lower() if m else None


# --------------------------------------------------------------------------- BOM / UTF-16 sniffing

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf_32_le"),  # before UTF-16 LE: it shares the first two bytes
    (codecs.BOM_UTF32_BE, "utf_32_be"),
    (codecs.BOM_UTF8, "utf_8"),
    (codecs.BOM_UTF16_LE, "utf_16_le"),
    (codecs.BOM_UTF16_BE, "utf_16_be"),
)


def _bom(data: bytes) -> tuple[str, int] | None:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            if codec == "utf_32_le" and len(data) % 4:
                continue  # really UTF-16 LE whose first char is NUL: vanishingly rare, but be exact
            return codec, len(bom)
    return None


def _sniff_utf16_32(data: bytes) -> str | None:
    """UTF-16/32 without a BOM: ASCII-heavy text leaves a regular pattern of NUL bytes."""
    sample = data[:4096]
    n = len(sample)
    if n < 8 or sample.count(0) < n // 4:
        return None
    if n >= 16:
        quads = n // 4 * 4
        z = [sample[i:quads:4].count(0) / (quads // 4) for i in range(4)]
        if z[1] > 0.9 and z[2] > 0.9 and z[3] > 0.9 and z[0] < 0.5:
            return "utf_32_le"
        if z[0] > 0.9 and z[1] > 0.9 and z[2] > 0.9 and z[3] < 0.5:
            return "utf_32_be"
    pairs = n // 2 * 2
    even = sample[0:pairs:2].count(0) / (pairs // 2)
    odd = sample[1:pairs:2].count(0) / (pairs // 2)
    if odd > 0.4 and even < 0.1:
        return "utf_16_le"
    if even > 0.4 and odd < 0.1:
        return "utf_16_be"
    return None


# --------------------------------------------------------------------------- binary


_BINARY_MAGIC = (
    b"%PDF-",
    b"\x89PNG",
    b"GIF87a",
    b"GIF89a",
    b"\xff\xd8\xff",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"BZh",
    b"\x28\xb5\x2f\xfd",
    b"7z\xbc\xaf",
    b"Rar!",
    b"\x7fELF",
    b"RIFF",
    b"OggS",
    b"ID3",
    b"\x00\x00\x00\x18ftyp",
    b"\x00\x00\x00\x20ftyp",
    b"\x00\x00\x00\x1cftyp",
    b"wOFF",
    b"wOF2",
    b"SQLite format 3",
    b"\xd0\xcf\x11\xe0",
)

_CONTROL = bytes(c for c in range(32) if c not in (9, 10, 12, 13, 27))


def looks_binary(data: bytes) -> bool:
    """True for images, archives, PDFs and other non-text payloads.

    UTF-16/32 text is full of NUL bytes too, so it is recognised first and
    never called binary.
    """
    if not data:
        return False
    head = data[:8192]
    if _bom(head) or _sniff_utf16_32(head):
        return False
    if head.startswith(_BINARY_MAGIC):
        return True
    # A stray NUL or two occurs in broken HTML; binary formats are full of them.
    if head.count(0) > 2 + len(head) // 200:
        return True
    controls = len(head) - len(head.translate(None, _CONTROL))
    return controls / len(head) > 0.05


# --------------------------------------------------------------------------- plausibility

#: C0/C1 controls: no correct decode of a news page produces many of them.
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
#: Controls plus box drawing, private use and U+FFFD: what a wrong single-byte codec yields.
_ODD_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\u2500-\u259f\ufffd\ue000-\uf8ff]")
#: A symbol glued between two letters ("W³adys³aw") means a wrong single-byte guess.
_SYMBOL_IN_WORD = re.compile(r"(?<=[^\W\d_])[^\w\s\x00-\x7f](?=[^\W\d_])")
_SPLIT_RE = re.compile(r"[\s<>]+")
_shape_table: dict[int, str] | None = None


def _shapes() -> dict[int, str]:
    """Translate table: letters -> l/U (ASCII lower/upper), a/A (other lower/upper), o (uncased)."""
    global _shape_table
    if _shape_table is None:
        table: dict[int, str] = {}
        for cp in range(0x3000):  # single-byte codecs decode to nothing higher
            ch = chr(cp)
            if not ch.isalpha():
                if ch in "lUaAo":
                    table[cp] = "?"
                continue
            if cp < 128:
                table[cp] = "l" if ch.islower() else "U"
            elif ch.islower():
                table[cp] = "a"
            elif ch.isupper():
                table[cp] = "A"
            else:
                table[cp] = "o"
        _shape_table = table
    return _shape_table


_WORD_SHAPE = re.compile(r"[lUaAo]{3,}")
_FLIP_SHAPE = re.compile(r"[la]A|aU")


def _case_flip_share(shape: str) -> float:
    """Share of words with a non-ASCII letter that flip lower->UPPER inside ("яПХБЕР")."""
    words = [w for w in _WORD_SHAPE.findall(shape) if "a" in w or "A" in w]
    if len(words) < 5:
        return 0.0
    return sum(1 for w in words if _FLIP_SHAPE.search(w)) / len(words)


_SINGLE_BYTE_NON_LATIN = {
    "cp1251", "koi8_r", "koi8_u", "cp866", "mac_cyrillic", "iso8859_5", "cp1253", "iso8859_7",
    "cp1255", "iso8859_8", "cp1256", "iso8859_6", "cp874",
}  # fmt: skip
#: An ASCII letter glued to a non-ASCII letter ("cafщ": windows-1252 read as windows-1251).
_GLUED_SHAPE = re.compile(r"[lU][aAo]|[aAo][lU]")


def _implausible(text: str, codec: str) -> str | None:
    """Why ``text`` does not look like a correct decode with ``codec`` (None when it does).

    Cheap checks that catch the usual wrong single-byte declarations: Cyrillic
    served as windows-1252 (a sea of accented letters), windows-1252 served as
    windows-1251 (Cyrillic letters glued to Latin ones), cp1251 served as KOI8-R
    (case flipping inside words). Only tokens holding non-ASCII characters are
    examined, so the cost does not grow with the page's scripts and styles.
    """
    tokens = [t for t in _SPLIT_RE.split(text[:300_000]) if not t.isascii()][:4000]
    if not tokens:
        return None
    sample = " ".join(tokens)
    non_ascii = len(sample) - len(sample.encode("ascii", "ignore"))
    if codec not in _LATIN and codec not in _SINGLE_BYTE_NON_LATIN:
        # A clean multi-byte decode (gb18030, cp932 ...) is strong evidence; only controls
        # say otherwise (Japanese pages do use box-drawing characters as ornaments).
        if len(_CONTROL_RE.findall(sample)) > 0.02 * non_ascii + 1:
            return "control characters"
        return None
    if len(_ODD_RE.findall(sample)) > 0.02 * non_ascii + 1:
        return "control or unassigned characters"
    if len(_SYMBOL_IN_WORD.findall(sample)) > 0.05 * non_ascii + 1:
        return "symbols inside words"
    shape = sample.translate(_shapes())
    if _case_flip_share(shape) > 0.1:
        return "upper-case letters inside words"
    if non_ascii > 20:
        letters = sum(shape.count(c) for c in "lUaAo")
        if codec in _LATIN and non_ascii > 0.6 * letters:
            return "mostly accented letters"
        glued = len(_GLUED_SHAPE.findall(shape))
        if codec in _SINGLE_BYTE_NON_LATIN and glued > 0.2 * non_ascii:
            return "mixed-script words"
    return None


def _try_decode(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


#: Codecs worth considering for news pages; leaving out exotic ones (hp-roman8, cp775 ...)
#: stops charset-normalizer from "winning" ties with encodings no news site uses.
_DETECT_CODECS = [
    "cp1252", "cp1254", "cp1250", "cp1257", "cp1258", "iso8859_2", "iso8859_4", "iso8859_13",
    "iso8859_15", "iso8859_9",
    "cp1251", "koi8_r", "koi8_u", "cp866", "mac_cyrillic", "iso8859_5",
    "cp1253", "iso8859_7", "cp1255", "iso8859_8", "cp1256", "iso8859_6", "cp874",
    "gb18030", "big5hkscs", "big5", "cp932", "shift_jis", "euc_jp", "iso2022_jp", "cp949", "euc_kr",
]  # fmt: skip

#: Single-byte Latin codecs: charset-normalizer often scores them equal, so we break the tie.
_LATIN = {
    "cp1252", "cp1254", "cp1250", "cp1257", "cp1258", "iso8859_2", "iso8859_4", "iso8859_13",
    "iso8859_15", "iso8859_9", "latin_1",
}  # fmt: skip

#: Preference among tied Latin codecs, by page language (default: the web's commonest).
_LATIN_PREF = {
    "tr": ("cp1254", "cp1252"),
    "az": ("cp1254", "cp1252"),
    "pl": ("cp1250", "iso8859_2"),
    "cs": ("cp1250", "iso8859_2"),
    "sk": ("cp1250", "iso8859_2"),
    "hu": ("cp1250", "iso8859_2"),
    "hr": ("cp1250", "iso8859_2"),
    "sl": ("cp1250", "iso8859_2"),
    "ro": ("cp1250", "iso8859_2"),
    "lt": ("cp1257", "iso8859_13"),
    "lv": ("cp1257", "iso8859_13"),
    "et": ("cp1257", "iso8859_13"),
    "vi": ("cp1258",),
}
_LATIN_DEFAULT = ("cp1252", "cp1254", "cp1250", "cp1257", "iso8859_15", "iso8859_2")

#: ð þ ý Ð Þ Ý are Icelandic letters in cp1252 but ğ ş ı Ğ Ş İ in cp1254.
_ICELANDIC = re.compile("[\u00f0\u00fe\u00fd\u00d0\u00de\u00dd]")
_HTML_LANG = re.compile(rb"<html\b[^>]*?\blang\s*=\s*[\"']?\s*([a-zA-Z]{2,3})", re.I)


def _latin_choice(data: bytes, candidates: list[str], lang: str | None) -> str:
    pref = _LATIN_PREF.get(lang or "", ()) + _LATIN_DEFAULT
    sample = data[:65536]

    def cost(codec: str) -> tuple[int, int, int]:
        text = sample.decode(codec, "replace")
        bad = len(_SYMBOL_IN_WORD.findall(text)) + 5 * text.count("\ufffd")
        if codec in ("cp1252", "latin_1", "iso8859_15") and lang != "is":
            bad += len(_ICELANDIC.findall(text))
        rank = pref.index(codec) if codec in pref else len(pref)
        return (bad, rank, candidates.index(codec))

    return min(candidates, key=cost)


def _detect(data: bytes, lang: str | None = None) -> str | None:
    """Statistical guess (charset-normalizer) of the codec of non-UTF-8 bytes."""
    from charset_normalizer import from_bytes

    try:
        results = list(from_bytes(data[:200_000], cp_isolation=_DETECT_CODECS))
    except Exception:  # noqa: BLE001 - detection must never take the page down
        return None
    if not results:
        return None
    best = results[0]
    codec = _codec(best.encoding)
    if codec in _LATIN:
        tied = [
            c
            for r in results
            if r.chaos <= best.chaos + 0.01 and (c := _codec(r.encoding)) in _LATIN
        ]
        codec = _latin_choice(data, list(dict.fromkeys(tied)), lang)
    return codec


# --------------------------------------------------------------------------- decoding


def _decode(data: bytes, declared: list[tuple[str, str]], lang: str | None = None) -> Decoded:
    """Shared decision procedure; ``declared`` is [(source, label)] in priority order."""
    warnings: list[str] = []

    bom = _bom(data)
    if bom:
        codec, skip = bom
        for source, label in declared:
            c = _codec(label)
            if c and _superset(c) != codec and not (c.startswith("utf_16") and "16" in codec):
                warnings.append(
                    f"declared {label} in {_where(source)} but the byte-order mark says"
                    f" {normalize_encoding(codec)}"
                )
                break
        text = data[skip:].decode(codec, "replace")
        if "\ufffd" in text and b"\xef\xbf\xbd" not in data:
            warnings.append(f"invalid {normalize_encoding(codec)} bytes replaced")
        return Decoded(text, normalize_encoding(codec), "bom", warnings)

    # Resolve the declarations into known codecs (first occurrence of each, in priority order).
    resolved: list[tuple[str, str, str]] = []  # (source, label, codec)
    for source, label in declared:
        c = _codec(label)
        if c is None:
            warnings.append(f"unknown charset {label!r} in {_where(source)}")
        elif all(c != r[2] for r in resolved):
            resolved.append((source, label, c))
    first = resolved[0] if resolved else None

    wide = _sniff_utf16_32(data)
    if wide:
        text = data.decode(wide, "replace")
        return Decoded(text, normalize_encoding(wide), "detected", warnings)

    # Strict UTF-8 first: it is both the commonest and the most self-verifying.
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        if text.isascii():
            return _ascii(data, text, first, warnings)
        if first is None:
            return Decoded(text, "utf-8", "detected", warnings)
        source, label, codec = first
        if codec == "utf_8":
            return Decoded(text, "utf-8", source, warnings)
        if codec not in _UNICODE_FAMILY:
            warnings.append(f"declared {label} in {_where(source)} but content is utf-8")
        return Decoded(text, "utf-8", "detected", warnings)

    # Mostly valid UTF-8 with a few broken bytes (a truncated or spliced page) is still UTF-8:
    # a legacy decode would garble every correct character to save a handful of bad ones.
    loose = data.decode("utf-8", "replace")
    bad = loose.count("\ufffd") - data.count(b"\xef\xbf\xbd")
    good = len(loose) - len(loose.encode("ascii", "ignore")) - bad
    says_utf8 = first is not None and first[2] == "utf_8"
    if good >= 2 and (good >= 4 * bad or (says_utf8 and good >= bad)):
        warnings.append(f"{bad} invalid utf-8 byte sequence(s) replaced")
        return Decoded(loose, "utf-8", first[0] if says_utf8 else "detected", warnings)

    # Not UTF-8: trust the first declared legacy charset that decodes cleanly and plausibly.
    fallback: tuple[str, str, str] | None = None  # (text, codec, source)
    for source, label, codec in resolved:
        if codec in _UNICODE_FAMILY:
            warnings.append(f"declared {label} in {_where(source)} but content is not {label}")
            continue
        use = _superset(codec)
        text = _try_decode(data, use)
        why = "invalid bytes" if text is None else _implausible(text, use)
        if why is None:
            return Decoded(text, normalize_encoding(use), source, warnings)
        if fallback is None:
            fallback = (text or data.decode(use, "replace"), use, source)
        warnings.append(f"declared {label} in {_where(source)} but the text has {why}")

    guess = _detect(data, lang)
    if guess:
        guess = _superset(guess)
        text = _try_decode(data, guess)
        if text is None:
            text = data.decode(guess, "replace")
            warnings.append(f"detected {normalize_encoding(guess)} but some bytes are invalid")
        return Decoded(text, normalize_encoding(guess), "detected", warnings)

    if fallback is not None:
        text, use, source = fallback
        warnings.append(f"used the declared {normalize_encoding(use)} anyway")
        return Decoded(text, normalize_encoding(use), source, warnings)
    warnings.append("could not determine the encoding; decoded as utf-8 with replacements")
    return Decoded(loose, "utf-8", "default", warnings)


_ISO2022_ESC = (b"\x1b$B", b"\x1b$@", b"\x1b(J", b"\x1b$(D", b"\x1b$)C", b"\x1b$A")


def _ascii(
    data: bytes, text: str, first: tuple[str, str, str] | None, warnings: list[str]
) -> Decoded:
    """7-bit input: the same text in every ASCII-compatible codec, except ISO-2022 / HZ."""
    if b"\x1b" in data or b"~{" in data:
        candidates = [first[2]] if first and first[2].startswith(("iso2022", "hz")) else []
        if b"\x1b$)C" in data:
            candidates.append("iso2022_kr")
        if any(esc in data for esc in _ISO2022_ESC):
            candidates.append("iso2022_jp_2")
        for codec in candidates:
            alt = _try_decode(data, codec)
            if alt is not None and alt != text:
                source = first[0] if first and first[2] == codec else "detected"
                return Decoded(alt, normalize_encoding(codec), source, warnings)
    if first is None:
        return Decoded(text, "utf-8", "default", warnings)
    source, _label, codec = first
    enc = "utf-8" if codec in _UNICODE_FAMILY else normalize_encoding(_superset(codec))
    return Decoded(text, enc, source, warnings)


def _where(source: str) -> str:
    return {"http": "the HTTP header", "meta": "<meta>", "xml": "the XML prolog"}.get(
        source, source
    )


def decode_html(data: bytes, content_type: str | None = None) -> Decoded:
    """Decode an HTML (or XML) page; see the module docstring for the precedence."""
    try:
        declared: list[tuple[str, str]] = []
        http = charset_from_content_type(content_type)
        if http:
            declared.append(("http", http))
        xml = _xml_charset(data)
        if xml:
            declared.append(("xml", xml))
        meta = _meta_charset(data)
        if meta:
            declared.append(("meta", meta))
        m = _HTML_LANG.search(data[:_META_SCAN])
        lang = m.group(1).decode("ascii").lower() if m else None
        return _decode(data, declared, lang)
    except Exception as exc:  # noqa: BLE001 - a page must never crash the pipeline
        return Decoded(
            data.decode("utf-8", "replace"), "utf-8", "default", [f"decoding failed: {exc!r}"]
        )


def decode_text(data: bytes, content_type: str | None = None) -> Decoded:
    """Decode a plain-text or JSON-lines file: BOM, HTTP charset, UTF-8, then detection."""
    try:
        declared: list[tuple[str, str]] = []
        http = charset_from_content_type(content_type)
        if http:
            declared.append(("http", http))
        return _decode(data, declared)
    except Exception as exc:  # noqa: BLE001
        return Decoded(
            data.decode("utf-8", "replace"), "utf-8", "default", [f"decoding failed: {exc!r}"]
        )


# --------------------------------------------------------------------------- mojibake

# UTF-8 bytes read as cp1252 (or latin-1): a lead byte 0xC2-0xF4 shown as Â..ô, then
# continuation bytes 0x80-0xBF shown as cp1252 punctuation / NBSP..¿ / C1 controls.
_CONT = (
    "\x80-\xbf"  # as latin-1 (C1 controls, NBSP..¿)
    "\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u017d"
    "\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u017e\u0178"
)  # as cp1252 (€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ)
_MOJIBAKE_RE = re.compile(
    f"(?:[\u00c2-\u00df][{_CONT}]|[\u00e0-\u00ef][{_CONT}]{{2}}|[\u00f0-\u00f4][{_CONT}]{{3}})+"
)


def _to_bytes(s: str) -> bytes | None:
    out = bytearray()
    for ch in s:
        try:
            out += ch.encode("cp1252")
        except UnicodeEncodeError:
            if ord(ch) < 256:
                out.append(ord(ch))
            else:
                return None
    return bytes(out)


def _repair(m: re.Match[str]) -> str:
    raw = _to_bytes(m.group(0))
    if raw is None:
        return m.group(0)
    try:
        fixed = raw.decode("utf-8")
    except UnicodeDecodeError:
        return m.group(0)
    # A result in the C1 range means we were wrong. A lone two-byte sequence landing in
    # Armenian..NKo (U+0530-U+07FF) is left alone: "Straße»" is German (ß» would be NKo
    # U+07FB), while "×©×œ×•×" (several letters) is Hebrew.
    if any(0x80 <= ord(ch) < 0xA0 for ch in fixed):
        return m.group(0)
    if len(fixed) < 2 and any(0x530 <= ord(ch) < 0x800 for ch in fixed):
        return m.group(0)
    return fixed


def fix_mojibake(text: str) -> str:
    """Undo UTF-8-read-as-cp1252/latin-1 ("AzÉ™rbaycan" -> "Azərbaycan") when unambiguous.

    Each suspicious run is re-encoded and strictly re-decoded on its own, so a
    correct "é" next to a broken "Ã©" stays correct; runs that do not form valid
    UTF-8 are left alone.
    """
    if not text or text.isascii():
        return text
    for _ in range(2):  # doubly-encoded text needs two passes
        fixed = _MOJIBAKE_RE.sub(_repair, text)
        if fixed == text:
            break
        text = fixed
    return text
