"""The plain-text export parser on the product's seeds and on exports written for these tests."""

from __future__ import annotations

import pytest

from parsers.boilerplate import is_promo_line
from parsers.text import parse_text_export

FORBIDDEN_IN_BODY = [
    "Vətən müharibəsinin",
    "1. Home",
    "2. Azerbaijan",
    "Follow Trend on",
    "Read more",
    "WhatsApp channel",
    "Tags:",
    "Latest",
    "Politics Materials",
    "22 April 2025 20:20",
]


def _seed(seeds_dir, prefix: str) -> str:
    (path,) = seeds_dir.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


def test_trend_export_fields(seeds_dir):
    art = parse_text_export(_seed(seeds_dir, "002"))
    assert art.ok
    assert art.title == (
        "Azerbaijan-China interests form wide base for enhancing mutual co-op - political analyst"
    )
    assert art.author == "Ali Gasimov"
    assert art.section == "Politics"
    assert art.published_at == "2025-04-22T20:20:00+04:00"
    assert art.language == "en"
    assert art.text.startswith("BAKU, Azerbaijan, April 22. In recent years")
    assert art.text.endswith('innovative projects," he noted.')
    for junk in FORBIDDEN_IN_BODY:
        assert junk not in art.text, junk
    assert "Ali Gasimov" not in art.text
    assert art.title not in art.text
    assert "\n\n\n" not in art.text
    assert art.provenance["published_at"] == "text:meta-line"


def test_trailing_byline_with_role(seeds_dir):
    art = parse_text_export(_seed(seeds_dir, "003"))
    assert art.author == "Emin Aliyev"
    assert "Emin Aliyev" not in art.text
    assert "Editor-in-Chief" not in art.text
    assert art.published_at == "2025-04-22"
    assert art.text.startswith("Azerbaijan-China cooperation emerges as a driver")


def test_other_outlet_title_and_author_line(seeds_dir):
    art = parse_text_export(_seed(seeds_dir, "004"))
    assert art.title == "Azerbaijan and China Strengthen Strategic Partnership"
    assert art.author == "Sandro Kapanadze"
    assert art.published_at is None  # "On April 23, 2025" in the text is not the publication date
    assert "Author:" not in art.text
    assert "Scroll to Top" not in art.text
    assert art.text.startswith("On April 23, 2025, in Beijing")


@pytest.mark.parametrize(("prefix", "day"), [("000", "2025-04-26"), ("001", "2025-04-28")])
def test_plain_bodies_are_kept(seeds_dir, prefix, day):
    raw = _seed(seeds_dir, prefix)
    art = parse_text_export(raw)
    assert art.published_at == day
    assert art.title is None
    assert art.author is None
    # The body is the export minus the date token, paragraph for paragraph.
    expected = [p.strip() for p in raw.split(f"date {day}", 1)[1].split("\n\n") if p.strip()]
    assert art.text.split("\n\n") == expected


TREND_EN_VARIANT = """ date 2026-01-15 Some other banner text from the site
...
  1. Home
  2. Business
  3. Energy

Azerbaijan and China sign solar power deal in Baku

Energy Materials 15 January 2026 09:05 (UTC +04:00)
Azerbaijan and China sign solar power deal in Baku

Follow Trend on

Leyla Mammadova
Leyla Mammadova
Read more

BAKU, Azerbaijan, January 15. Azerbaijan and a Chinese energy company signed an agreement on a 100 MW solar power plant in the Absheron district, the ministry said on Thursday.

The plant is expected to be commissioned in 2027 and will supply about 200 million kilowatt-hours a year to the national grid, according to the statement.

Join Trend News Agency's Telegram channel for the latest updates

The parties also discussed training programmes for local engineers.

Stay up-to-date with more news on Trend News Agency's WhatsApp channel

Tags:
Latest

Read more
"""


def test_general_rules_on_another_trend_export():
    art = parse_text_export(TREND_EN_VARIANT)
    assert art.title == "Azerbaijan and China sign solar power deal in Baku"
    assert art.author == "Leyla Mammadova"
    assert art.section == "Energy"
    assert art.published_at == "2026-01-15T09:05:00+04:00"
    assert art.source == "Trend"
    paras = art.text.split("\n\n")
    assert paras[0].startswith("BAKU, Azerbaijan, January 15.")
    assert paras[-1] == "The parties also discussed training programmes for local engineers."
    assert len(paras) == 3  # the Telegram promo inside the body is gone
    assert "Telegram" not in art.text and "Other banner" not in art.text


TREND_AZ_VARIANT = """date 2025-12-06 Xarı bülbül
...
  1. Ana səhifə
  2. Azərbaycan
  3. Siyasət

Azərbaycan və Çin arasında yeni əməkdaşlıq sazişi imzalanıb

Siyasət Materiallar 6 Dekabr 2025 15:49 (UTC +04:00)
Azərbaycan və Çin arasında yeni əməkdaşlıq sazişi imzalanıb

Follow Trend on

Səbinə İsmayılova
Səbinə İsmayılova
Daha çox

Bakı. Trend: Azərbaycan ilə Çin arasında nəqliyyat və logistika sahəsində əməkdaşlığa dair yeni saziş imzalanıb, bu barədə İqtisadiyyat Nazirliyinin məlumatında bildirilir.

Sazişə əsasən, tərəflər Orta Dəhliz vasitəsilə yükdaşımaların həcminin artırılması və rəqəmsal gömrük sistemlərinin inteqrasiyası üzərində birgə işləyəcəklər.

Teqlər:
"""


def test_azerbaijani_edition_export():
    art = parse_text_export(TREND_AZ_VARIANT)
    assert art.title == "Azərbaycan və Çin arasında yeni əməkdaşlıq sazişi imzalanıb"
    assert art.author == "Səbinə İsmayılova"
    assert art.section == "Siyasət"
    assert art.published_at == "2025-12-06T15:49:00+04:00"
    assert art.language == "az"
    assert art.text.startswith("Bakı. Trend: Azərbaycan ilə Çin")  # the dateline stays
    assert "Teqlər" not in art.text and "Daha çox" not in art.text


RU_EXPORT = """Китай и Азербайджан расширяют сотрудничество в сфере транспорта

Баку, Азербайджан, 22 апреля. Китай и Азербайджан договорились расширить сотрудничество в сфере транспорта и логистики, сообщили в министерстве цифрового развития и транспорта.

Стороны обсудили увеличение грузоперевозок по Среднему коридору и создание совместных логистических центров.

Подписывайтесь на наш Telegram-канал

Автор: Эльнур Гасанов
"""


def test_russian_export():
    art = parse_text_export(RU_EXPORT)
    assert art.title == "Китай и Азербайджан расширяют сотрудничество в сфере транспорта"
    assert art.author == "Эльнур Гасанов"
    assert art.language == "ru"
    assert art.text.startswith("Баку, Азербайджан, 22 апреля.")
    assert "Telegram" not in art.text and "Автор" not in art.text
    assert len(art.text.split("\n\n")) == 2


def test_a_sentence_first_line_is_not_a_title():
    text = (
        "The talks ended late on Friday.\n\nDelegations from both countries met in Beijing for two "
        "days of consultations on trade, energy and transport, officials said after the meeting."
    )
    art = parse_text_export(text)
    assert art.title is None
    assert art.text.startswith("The talks ended late on Friday.")


def test_empty_text_is_a_failed_record():
    art = parse_text_export("   \n\n  ")
    assert not art.ok
    assert "no article text" in art.error


def test_mojibake_in_an_export_is_repaired():
    from parsers.files import parse_text_file

    clean = (
        "Azərbaycan və Çin arasında yeni saziş\n\n"
        "Bakı. Trend: Azərbaycan ilə Çin arasında nəqliyyat sahəsində əməkdaşlığa dair yeni "
        "saziş imzalanıb, bu barədə nazirliyin məlumatında bildirilir."
    )
    broken = clean.encode("utf-8").decode("cp1252", errors="replace")
    assert "Ã" in broken or "É™" in broken
    art = parse_text_file(broken.encode("utf-8"), name="moji.txt")
    assert art.title == "Azərbaycan və Çin arasında yeni saziş"
    assert art.text.startswith("Bakı. Trend: Azərbaycan ilə Çin")
    assert any("mojibake" in w for w in art.warnings)


@pytest.mark.parametrize(
    ("line", "promo"),
    [
        ("Stay up-to-date with more news on Trend News Agency's WhatsApp channel", True),
        ("Join Trend News Agency's Telegram channel for the latest updates", True),
        ("Trend-in Telegram kanalına abunə olun", True),
        ("Подписывайтесь на наш Telegram-канал", True),
        ("The ministry said on its Telegram channel that the talks would continue.", False),
        ("Follow-up talks were announced on the ministry's Telegram channel.", False),
        ("Following the talks, the ministry's Telegram channel published a statement.", False),
        ("Watch the meeting broadcast on the state TV channel AzTV tonight.", False),
        ("Veriliş saat 21:30-da YouTube kanalında yayımlanıb.", False),
        ("Об этом сообщил в своем Telegram-канале пресс-секретарь министерства.", False),
    ],
)
def test_a_promo_asks_the_reader_to_act(line: str, promo: bool) -> None:
    assert is_promo_line(line) is promo
