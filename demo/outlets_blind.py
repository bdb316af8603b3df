"""Three more held-out outlets (English, Azerbaijani, Russian), designed blind to the
others: no wording, phrase or class name of demo/outlets.py or demo/outlets_heldout.py.

Why: six held-out outlets are still few, and those of demo/outlets_heldout.py were
written after the learner had been seen at work on the first three. These three add in-
body clutter in phrasings of their own: read-also lines, a podcast box, a newsletter box,
reproduction notices, captions with varied credits, sponsored labels, author and credit
lines in several forms with names of their own (not the PEOPLE of demo/outlets.py), tag
lines with topics of their own, related-story boxes, correction, update and disclaimer
notes, and one kind of clutter each that no other outlet has: a Local Democracy
Reporting Service line, a weather strip, a comments-login note. Layouts are existing ones
new to their language (table for English, main for Azerbaijani, article for Russian).

Texts: importing this module adds the outlets below as a group after
``MORE_HELD_OUT`` (``demo.outlets.add_group``): first texts that no outlet of ``OUTLETS``
or ``MORE_HELD_OUT`` puts on its first 30 pages, then those the others reach last.
The Russian pool (62 texts) is used up by the others' first 30 pages, so the Russian
outlet takes those whose earliest page elsewhere is latest (about page 20).

Use: ``from demo.outlets_blind import BLIND``, then ``build_site(spec, n)``.
"""

from __future__ import annotations

import random

import demo.outlets_heldout  # noqa: F401 - its outlets are an earlier group
from demo.outlets import OutletSpec, _b, add_group


def _forms(forms: tuple[str, ...], names: tuple[str, ...], places: tuple[str, ...]):
    """Every credit-line form with every name (the next name as the second person, the
    places in turn): the same number of variants per form, so each is as likely."""
    out = []
    for form in forms:
        for i, name in enumerate(names):
            out.append(
                form.format(a=name, b=names[(i + 1) % len(names)], c=places[i % len(places)])
            )
    return tuple(out)


def _topics(labels: tuple[str, ...], topics: tuple[str, ...], seed: str, k: int = 8):
    """Tag-line variants ``label|t1, t2, t3`` over topics of the outlet's own."""
    rng = random.Random(seed)
    return tuple(f"{rng.choice(labels)}|{', '.join(rng.sample(topics, 3))}" for _ in range(k))


# --------------------------------------------------------------------------- English
FW_NAMES = (
    "Hattie Brennagh",
    "Oluwaseun Adeyemi-Clarke",
    "Gregor Vass",
    "Imogen Stroud",
    "Declan Pryce",
    "Sunita Rahman",
)
FW_AUTHOR = _forms(
    (
        "Reporting: {a} | Editing: {b}",
        "{a} for the Fenwater Chronicle",
        "By {a} in {c}",
        "{a}, Chief Reporter · Additional research by {b}",
    ),
    FW_NAMES,
    ("Castlebrook", "Marlow Vale", "Upper Fenwater", "Saltby"),
)
FW_TAGS = _topics(
    ("Tagged with:", "Subjects covered:"),
    (
        "flood defences",
        "ring road",
        "council tax",
        "high street",
        "bus routes",
        "allotments",
        "policing",
        "planning appeals",
        "the riverside",
        "libraries",
    ),
    "fenwater-tags",
)
FW_PHOTO = (
    '<div class="fw-snap"><img src="/photos/{n}.jpg" alt="">'
    '<span class="fw-snap-cap">{w0}</span> <span class="fw-snap-src">{w1}{credit}</span></div>'
)
FW_POD = (
    '<div class="fw-listen"><p class="fw-listen-h">{w0}</p><p>{w1}</p>'
    '<p><a href="/podcast">{w2}</a> · <a href="/podcast/feed">{w3}</a></p></div>'
)
FW_TRIO = (
    '<div class="fw-trio"><h5>{w}</h5><p><a href="{href1}">{h1}</a></p>'
    '<p><a href="{href2}">{h2}</a></p><p><a href="{href3}">{h3}</a></p></div>'
)

# --------------------------------------------------------------------------- Azerbaijani
UF_NAMES = ("Günel Rzayeva", "Tural Abbasov", "Aysel Nağıyeva", "Fərid Cəfərov", "Könül Şükürova")
UF_AUTHOR = _forms(
    (
        "Mətn: {a} | Redaktor: {b}",
        "{a}, Ufuq Media üçün",
        "{a} {c} yazır",
        "Hazırladı: {a}",
    ),
    UF_NAMES,
    ("Gəncədən", "Lənkərandan", "Şəkidən", "Sumqayıtdan", "Quba şəhərindən"),
)
UF_TAGS = _topics(
    ("Mövzu başlıqları:", "Yazının mövzuları:"),
    (
        "neft sektoru",
        "regional inkişaf",
        "kənd təsərrüfatı",
        "turizm",
        "su təchizatı",
        "ekologiya",
        "idxal",
        "tikinti",
        "dövlət büdcəsi",
        "yol infrastrukturu",
    ),
    "ufuq-tags",
)
UF_WEATHER = tuple(
    f"Bakıda bu gün: {t}°C, {wind} küləyi {ms} m/s, rütubət {h}%"
    for t, wind, ms, h in (
        ("+18", "şimal-qərb", 7, 64),
        ("+24", "cənub", 4, 51),
        ("+9", "xəzri", 12, 78),
        ("+31", "gilavar", 5, 40),
    )
)
UF_PHOTO = (
    '<figure class="uf-kadr"><img src="/fotolar/{n}.jpeg" alt="">'
    "<figcaption><em>{w0}</em> — {w1}{credit}</figcaption></figure>"
)
UF_LETTER = '<div class="uf-poct"><h5>{w0}</h5><p>{w1}</p><a class="uf-poct-btn" href="/abune">{w2}</a></div>'
UF_LINKS = (
    '<nav class="uf-elaqe"><span class="uf-elaqe-bas">{w}</span> <a href="{href1}">{h1}</a> '
    '<a href="{href2}">{h2}</a> <a href="{href3}">{h3}</a></nav>'
)

# --------------------------------------------------------------------------- Russian
LT_NAMES = (
    "Дарья Клименко",
    "Артём Зуев",
    "Маргарита Шестакова",
    "Глеб Никифоров",
    "Тимур Сабиров",
)
LT_AUTHOR = _forms(
    (
        "Автор материала: {a}. Редактор: {b}",
        "{a}, специально для «Ладожского телеграфа»",
        "Из {c} сообщает {a}",
        "{a}, обозреватель отдела экономики",
    ),
    LT_NAMES,
    ("Тихвина", "Приозерска", "Волхова", "Лодейного Поля", "Кировска"),
)
LT_TAGS = _topics(
    ("Ключевые слова:", "Рубрики и метки:"),
    (
        "ЖКХ",
        "Ленобласть",
        "дороги",
        "паводок",
        "бюджет района",
        "туризм",
        "рыболовство",
        "образование",
        "здравоохранение",
        "малый бизнес",
    ),
    "ladoga-tags",
)
LT_PHOTO = (
    '<div class="lt-kartinka"><img src="/img/{n}.jpg" alt="">'
    '<p class="lt-kartinka-pod">{w0} <span>{w1}{credit}</span></p></div>'
)
LT_POD = (
    '<aside class="lt-audio"><b>{w0}</b><p>{w1}</p>'
    '<a href="/podcast" class="lt-audio-go">{w2}</a></aside>'
)
LT_STORY = (
    '<div class="lt-syuzhet"><p class="lt-syuzhet-t">{w}</p><ul><li><a href="{href1}">{h1}</a></li>'
    '<li><a href="{href2}">{h2}</a></li><li><a href="{href3}">{h3}</a></li></ul></div>'
)
TAGS_CHECKS = ("{w0}", "{w0} {w1}")

# fmt: off
BLIND: list[OutletSpec] = [
    OutletSpec(
        "fenwater", "Fenwater Chronicle", "en", "table", ("fw-cell", "fw-storytext", "fw-sidecol", "fw-navcol"),
        "/local/{y}/{m}/{d}/{id}/{slug}", "/rss/latest", "rss", "Most shared since yesterday",
        (
            _b("author", 1.0, "start", '<p class="fw-credline">{w}</p>', FW_AUTHOR),
            _b("custom", 0.35, "start", '<p class="fw-ldrs"><small>{w}</small></p>', ("This report was produced under the Local Democracy Reporting Service, which is funded by the licence fee and shared with regional newsrooms.",)),
            _b("caption", 0.55, "p1", FW_PHOTO, ("Floodwater reaches the steps of the old corn exchange.|Photo supplied by ", "Councillors leave the chamber after Monday's vote.|Snapped by ", "An aerial view of the roadworks at Saltby junction.|Picture agency: ")),
            _b("ad", 0.4, "p2", '<div class="fw-promo" data-unit="{n}"><em>{w}</em></div>', ("Promoted by our partners", "Sponsored by Kettleby Building Society", "This content was paid for by an advertiser")),
            _b("read", 0.5, "any", '<p class="fw-jump"><span>{w}</span> <a href="{href}">{h}</a></p>', ("ALSO WORTH READING:", "Also making headlines →", "Continue with:")),
            _b("box", 1.0, "mid", FW_POD, ("Fenwater Unfolded, our podcast|Twenty minutes on the story everyone in town is talking about, new every Thursday.|Listen on Spotify|Apple Podcasts",)),
            _b("related", 0.6, "end", FW_TRIO, ("Further coverage", "Recommended for you")),
            _b("tags", 0.45, "end", '<p class="fw-subj">{w0} {w1}</p>', FW_TAGS, TAGS_CHECKS),
            _b("custom", 0.35, "end", '<p class="fw-amend"><i>{w}</i></p>', ("Update: we amended this report to correct the name of the ward concerned.", "Clarification: an earlier version of this piece misstated the date of the planning hearing.")),
            _b("copyright", 1.0, "end", '<div class="fw-legal">{w}</div>', ("Text and images are the property of Fenwater Chronicle Newspapers Ltd, {year}. Licensing enquiries: syndication@fenwater-chronicle.example",)),
        ),
        credits=("Alamy Stock Photo", "Chronicle photographer Ines Baptiste", "drone footage, Fenwater Borough Council", "SWNS", "Kirsty Lomax/PinPep"), held_out=True, inline=True, tz=1,
    ),
    OutletSpec(
        "ufuq", "Ufuq Media", "az", "main", ("uf-esas", "uf-metnbolme", "uf-yanpanel", "uf-menyu"),
        "/xeber/{y}-{m}-{d}/{slug}", "/feed.atom", "atom", "Çox müzakirə olunanlar",
        (
            _b("custom", 0.35, "start", '<p class="uf-yenilik"><b>{w}</b></p>', ("Yenilənib: xəbərə Fövqəladə Hallar Nazirliyinin açıqlaması əlavə olunub.", "Düzəliş: ilkin versiyada iclasın tarixi səhv göstərilmişdi.")),
            _b("caption", 0.45, "start", UF_PHOTO, ("Paytaxtın mərkəzi küçələrindən biri.|Fotoqraf: ", "Görüşdən fraqment.|Şəklin mənbəyi — ", "Bulvarda səhər saatları.|Foto müəllifi: ")),
            _b("read", 1.0, "any", '<p class="uf-kecid"><b>{w}</b> <a href="{href}">{h}</a></p>', ("Gözdən qaçırmayın:", "Digər xəbər ›", "Oxumağa dəyər:")),
            _b("ad", 0.35, "mid", '<div class="uf-reklamblok"><span>{w}</span><div data-banner="{n}"></div></div>', ("Reklam məqsədli yazı", "Sponsorlu yazı")),
            _b("custom", 0.5, "p3", '<div class="uf-hava">{w}</div>', UF_WEATHER),
            _b("box", 0.5, "p3", UF_LETTER, ("Həftəsonu buraxılışı|Həftənin ən önəmli yazıları hər şənbə səhəri poçt qutunuza gəlsin.|Qoşulmaq istəyirəm",)),
            _b("author", 1.0, "end", '<p class="uf-imza">{w}</p>', UF_AUTHOR),
            _b("related", 0.55, "end", UF_LINKS, ("Eyni mövzuda digər yazılar", "Redaksiya tövsiyə edir")),
            _b("tags", 1.0, "end", '<div class="uf-movzu">{w0} {w1}</div>', UF_TAGS, TAGS_CHECKS),
            _b("copyright", 1.0, "end", '<p class="uf-huquq">{w}</p>', ("Ufuq Media-da dərc olunan yazılar müəllif hüquqları ilə qorunur; köçürmə yalnız redaksiya ilə razılaşdırıldıqdan sonra mümkündür. {year}",)),
        ),
        credits=("Ufuq Media / Rəşad Nəbiyev", "Prezidentin mətbuat xidməti", "Ufuq Media arxivi", "Unsplash", "Sputnik Azərbaycan"), tz=4, held_out=True,
    ),
    OutletSpec(
        "ladoga", "Ладожский Телеграф", "ru", "article", ("lt-statya", "lt-tekst", "lt-pravo", "lt-shapka"),
        "/text/{y}/{m}/{id}.html", "/rss/ladoga.xml", "rss", "Популярное за сутки",
        (
            _b("custom", 0.3, "start", '<p class="lt-ispr"><i>{w}</i></p>', ("Исправлено: в первоначальной версии текста была неверно указана дата заседания.", "Материал дополнен комментарием администрации района.")),
            _b("author", 1.0, "start", '<div class="lt-podpis">{w}</div>', LT_AUTHOR),
            _b("caption", 0.6, "p1", LT_PHOTO, ("Очередь у пункта выдачи.|Автор фото: ", "Мост через Свирь.|Фото предоставлено: ", "Заседание районного совета.|Источник изображения — ")),
            _b("read", 0.5, "p2", '<p class="lt-sm"><em>{w}</em> <a href="{href}">{h}</a></p>', ("Не пропустите:", "Рекомендуем прочитать:", "Это тоже важно →")),
            _b("ad", 1.0, "p3", '<div class="lt-partner" data-b="{n}"><small>{w}</small></div>', ("Реклама. Рекламодатель: АО «Онежская верфь». Токен: Kra23{n}", "Партнёрский проект")),
            _b("box", 0.4, "mid", LT_POD, ("Подкаст «Ладожские истории»|Новый выпуск каждую среду — слушайте на «Яндекс Музыке» и в VK.|Слушать выпуск",)),
            _b("related", 0.45, "end", LT_STORY, ("Материалы сюжета", "Хроника событий")),
            _b("tags", 0.55, "end", '<p class="lt-metki">{w0} {w1}</p>', LT_TAGS, TAGS_CHECKS),
            _b("custom", 0.3, "end", '<p class="lt-oferta"><small>{w}</small></p>', ("Материал не является индивидуальной инвестиционной рекомендацией.",)),
            _b("custom", 0.6, "end", '<p class="lt-komm">{w}</p>', ("Войдите через VK ID или Госуслуги, чтобы участвовать в обсуждении.",)),
            _b("copyright", 1.0, "end", '<p class="lt-zasch">{w}</p>', ("Перепечатка и цитирование материалов «Ладожского телеграфа» без согласия правообладателя запрещены (ст. 1270 ГК РФ).",)),
        ),
        credits=("Ладожский Телеграф / Денис Ушаков", "Интерфакс", "администрация района", "Telegram-канал «Ладога сегодня»", "Unsplash"), held_out=True, inline=True, tz=3,
    ),
]
# fmt: on


# --------------------------------------------------------------------------- texts
# Texts no earlier outlet serves first (demo.outlets.texts_for, by group).
add_group(BLIND)
