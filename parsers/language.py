"""Language of an article's text, as an ISO 639-1 code.

py3langid is fast and ships its model, but it confuses Azerbaijani with Turkish;
Azerbaijani is the one language of our outlets that writes ə (and q/x, which
Turkish lacks), so a letter count settles that pair. The model is loaded once,
on first use, because loading costs far more than classifying one page.
"""

from __future__ import annotations

import re
import threading
from typing import Any

__all__ = ["detect_language"]

_MAX_CHARS = 2000
_MIN_LETTERS = 20

_identifier: Any = None
_lock = threading.Lock()


def _get_identifier() -> Any:  # py3langid's LanguageIdentifier
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _identifier


_URL_RE = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+", re.I)


def _norm_hint(hint: str | None) -> str | None:
    if not hint:
        return None
    code = re.split(r"[-_]", hint.strip().lower(), maxsplit=1)[0]
    return code if re.fullmatch(r"[a-z]{2,3}", code) else None


def detect_language(text: str, *, hint: str | None = None) -> str | None:
    """ISO 639-1 code of ``text``; ``hint`` (e.g. <html lang>) decides when the text cannot.

    Only the first ~2000 characters are read. Returns None for text too short to tell
    (fewer than 20 letters) unless a hint is given; the hint also wins over a low-confidence
    guess. Languages without a 639-1 code come back as py3langid's 639-3 label ("crh").
    """
    hint_code = _norm_hint(hint)
    if not text:
        return hint_code
    sample = _URL_RE.sub(" ", text[: _MAX_CHARS + 500])[:_MAX_CHARS]
    letters = [ch for ch in sample if ch.isalpha()]
    if len(letters) < _MIN_LETTERS:
        return hint_code
    if sum(1 for ch in letters if ch in "əƏ") > 0.01 * len(letters):
        # ə is ~7-9% of Azerbaijani letters and absent from Turkish and from every other
        # language py3langid may confuse Azerbaijani with.
        return "az"

    scores: dict[str | None, float] = {}
    for label, p in _get_identifier().rank(sample):
        code = _FOLD.get(label, label)
        scores[code] = scores.get(code, 0.0) + p
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    lang, conf = ranked[0]
    if lang == "tr" or (conf < 0.5 and "az" in [code for code, _ in ranked[:3]]):
        if _az_markers(sample) > 0:
            return "az"
    if lang is None or (conf < 0.5 and hint_code):
        return hint_code
    return lang


#: py3langid labels folded into the ISO 639-1 code a news archive files them under
#: (its model tells Wu and Cantonese from Mandarin, which our pipeline does not need).
_FOLD: dict[str, str | None] = {
    "wuu": "zh",
    "yue": "zh",
    "arz": "ar",
    "ary": "ar",
    "uzs": "uz",
    "gug": "gn",
    "hbo": "he",
    "grc": "el",
    "sdh": "ku",
    "zxx": None,  # "no linguistic content"
}


#: Azerbaijani-only evidence: ə; q and x in Turkic-looking words (Turkish has neither letter);
#: the perfect in -ıb/-ib/-ub/-üb ("verilib", "vurub"). Turkish-only: -yor, -mış/-miş/-muş/-müş.
_AZ_WORD = re.compile(
    r"\b\w*[əƏ]\w*"
    r"|\b(?=\w*[qQxX])(?=\w*[ığşçöüİĞŞÇÖÜ])\w+"  # q/x alone also marks English ("Dixie")
    r"|\b\w+(?:ıb|ib|ub|üb)\b"
)
_TR_WORD = re.compile(r"\b\w+(?:yor|yorlar|yordu|mış|miş|muş|müş)(?:\w{0,4})\b")


def _az_markers(text: str) -> int:
    """Azerbaijani evidence minus Turkish evidence (positive: Azerbaijani)."""
    return len(_AZ_WORD.findall(text)) - len(_TR_WORD.findall(text))
