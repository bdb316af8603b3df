"""The words dates are written with, per language: month and weekday names, filler words.

``parsers.dates`` reads "6 Dekabr 2025", "22 апреля 2025" and "Sunday, 10.03.2019" with
these tables: month names in the languages of our outlets and of the sources an analyst
may add, weekday names (they settle "10.03" against "03.10"), and the words allowed next
to a date without making it a sentence ("published", "обновлено", "tarixi"). All of them
are compared folded: lower case, without diacritics.

Pure: no network, database or Prefect.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence


def fold(s: str) -> str:
    """Lower-case and strip diacritics so "Aralık", "ARALIK" and "aralik" compare equal."""
    s = s.replace("İ", "i").replace("I", "i").replace("ı", "i").lower()
    s = unicodedata.normalize("NFKD", s)
    return "".join(ch for ch in s if not unicodedata.combining(ch))


_MONTHS_RAW: dict[str, list[str]] = {
    "en": [
        "january jan",
        "february feb",
        "march mar",
        "april apr",
        "may",
        "june jun",
        "july jul",
        "august aug",
        "september sep sept",
        "october oct",
        "november nov",
        "december dec",
    ],
    "az": [
        "yanvar yan",
        "fevral fev",
        "mart",
        "aprel apr",
        "may",
        "iyun iyn",
        "iyul iyl",
        "avqust avq",
        "sentyabr sen sent",
        "oktyabr okt",
        "noyabr noy",
        "dekabr dek",
    ],
    "ru": [
        "января январь янв",
        "февраля февраль фев февр",
        "марта март мар",
        "апреля апрель апр",
        "мая май",
        "июня июнь июн",
        "июля июль июл",
        "августа август авг",
        "сентября сентябрь сен сент",
        "октября октябрь окт",
        "ноября ноябрь ноя нояб",
        "декабря декабрь дек",
    ],
    "tr": [
        "ocak oca",
        "şubat şub",
        "mart mar",
        "nisan nis",
        "mayıs may",
        "haziran haz",
        "temmuz tem",
        "ağustos ağu",
        "eylül eyl",
        "ekim eki",
        "kasım kas",
        "aralık ara",
    ],
    # Languages an analyst may add a source in: used when the page says it is written in them.
    "de": [
        "januar jan jänner",
        "februar feb",
        "märz mär mrz",
        "april apr",
        "mai",
        "juni jun",
        "juli jul",
        "august aug",
        "september sep sept",
        "oktober okt",
        "november nov",
        "dezember dez",
    ],
    "fr": [
        "janvier janv",
        "février févr fév",
        "mars",
        "avril avr",
        "mai",
        "juin",
        "juillet juil",
        "août",
        "septembre sept",
        "octobre oct",
        "novembre nov",
        "décembre déc",
    ],
    "es": [
        "enero ene",
        "febrero feb",
        "marzo mar",
        "abril abr",
        "mayo may",
        "junio jun",
        "julio jul",
        "agosto ago",
        "septiembre setiembre sep sept",
        "octubre oct",
        "noviembre nov",
        "diciembre dic",
    ],
    "it": [
        "gennaio gen",
        "febbraio feb",
        "marzo mar",
        "aprile apr",
        "maggio mag",
        "giugno giu",
        "luglio lug",
        "agosto ago",
        "settembre set",
        "ottobre ott",
        "novembre nov",
        "dicembre dic",
    ],
    "pt": [
        "janeiro jan",
        "fevereiro fev",
        "março mar",
        "abril abr",
        "maio mai",
        "junho jun",
        "julho jul",
        "agosto ago",
        "setembro set",
        "outubro out",
        "novembro nov",
        "dezembro dez",
    ],
}

MONTHS: dict[str, dict[str, int]] = {
    lang: {fold(name): i + 1 for i, names in enumerate(rows) for name in names.split()}
    for lang, rows in _MONTHS_RAW.items()
}

_month_cache: dict[tuple[str, ...], tuple[dict[str, int], re.Pattern[str] | None]] = {}


def month_table(languages: Sequence[str]) -> tuple[dict[str, int], re.Pattern[str] | None]:
    """Folded month names of ``languages`` (the first language wins a shared name) and a
    pattern finding them, longest first; None when no language is known."""
    key = tuple(languages)
    hit = _month_cache.get(key)
    if hit is None:
        table: dict[str, int] = {}
        for lang in key:
            for name, num in MONTHS.get(lang.split("-")[0].lower(), {}).items():
                table.setdefault(name, num)
        names = sorted(table, key=len, reverse=True)
        alternation = "|".join(map(re.escape, names))
        rx = re.compile(rf"(?<!\w)({alternation})\.?(?!\w)") if names else None
        hit = _month_cache[key] = (table, rx)
    return hit


#: Words allowed next to a date without counting as "other text" (after folding).
NOISE_WORDS = frozenset(
    fold(w)
    for w in """
    on at the of in by published updated posted modified last date time dated am pm
    mon tue tues wed thu thur thurs fri sat sun monday tuesday wednesday thursday friday
    saturday sunday st nd rd th г года год гг в обновлено опубликовано дата
    il ilin ci cu ildə ilde tarix tarixi yenilənib yenilenib saat
    am um uhr den der vom veröffentlicht aktualisiert stand le la du à publié mis en ligne
    mise jour el del de las los publicado actualizado às em il alle pubblicato aggiornato
    lunes martes miércoles jueves viernes sábado domingo montag dienstag mittwoch
    donnerstag freitag samstag sonntag lundi mardi mercredi jeudi vendredi samedi
    dimanche""".split()
)


_WEEKDAYS = {
    0: "monday mon понедельник pazartesi",
    1: "tuesday tue tues вторник salı",
    2: "wednesday wed среда среду çarşamba",
    3: "thursday thu thur thurs четверг perşembe",
    4: "friday fri пятница пятницу cuma",
    5: "saturday sat суббота субботу cumartesi",
    6: "sunday sun воскресенье pazar",
}
_WEEKDAY_OF = {fold(w): n for n, words in _WEEKDAYS.items() for w in words.split()}


def weekday_in(low: str) -> int | None:
    """The weekday (0 is Monday) a folded text names, or None."""
    for word in re.findall(r"[^\W\d_]+", low):
        if word in _WEEKDAY_OF:
            return _WEEKDAY_OF[word]
    return None
