"""Three more held-out outlets (English, Azerbaijani, Russian), designed apart from
demo/outlets.py.

Why: the three held-out outlets of demo/outlets.py are few to tell a learner that
generalises from one tuned to what it was measured on. These three were written without
reusing any wording, class name or phrase of demo/outlets.py, in layouts new to their
language (itemprop for English, article for Azerbaijani, table for Russian), with markup
of their own for boxes, captions and related lists, author lines that do not start with a
colon label, and one kind of in-body clutter each that no other outlet has: a newsroom
tip line, a currency-rate strip, an editorial disclaimer.

Texts: importing this module adds the outlets below as a group of their own
(``demo.outlets.add_group``): they get texts no ``OUTLETS`` outlet puts on its first 30
pages. The Russian pool
is too small for that (62 texts, 60 of them on vestnik's and zarya's first 30 pages):
its outlet takes the 2 free texts first, then those the other outlets reach last, so
that up to N = 25 its pages share no text with theirs.

Use: ``from demo.outlets_heldout import MORE_HELD_OUT``, then ``build_site(spec, n)`` as
for any outlet of demo/outlets.py.
"""

from __future__ import annotations

from demo.outlets import OutletSpec, _b, add_group

#: pages an outlet of OUTLETS serves at the outlet benchmark's largest N

# Templates of these outlets' own (none of demo/outlets.py's BOX, FIG, RELATED, READ_P).
LW_FIG = (
    '<div class="lw-pic"><img src="/img/{n}.webp" alt="">'
    '<p class="lw-pic-txt">{w0} <i>{w1}{credit}</i></p></div>'
)
LW_BOX = (
    '<section class="lw-inbox"><strong>{w0}</strong> <span>{w1}</span> '
    '<a class="lw-go" href="/join">{w2}</a></section>'
)
LW_MORE = (
    '<div class="lw-more"><p><b>{w}</b></p><ol><li><a href="{href1}">{h1}</a></li>'
    '<li><a href="{href2}">{h2}</a></li><li><a href="{href3}">{h3}</a></li></ol></div>'
)
KF_FIG = (
    '<figure class="kf-sekil"><img src="/uploads/{n}.jpg" alt="">'
    "<figcaption><span>{w0}</span> <small>{w1}{credit}</small></figcaption></figure>"
)
KF_APP = (
    '<aside class="kf-tetbiq"><b>{w0}</b><p>{w1}</p>'
    '<a href="/mobil" rel="nofollow">{w2}</a></aside>'
)
KF_MORE = (
    '<div class="kf-dig"><h4>{w}</h4><p><a href="{href1}">{h1}</a></p>'
    '<p><a href="{href2}">{h2}</a></p><p><a href="{href3}">{h3}</a></p></div>'
)
PR_FIG = (
    '<div class="pr-ph"><img src="/pic/{n}.jpg" alt="">'
    '<div class="pr-ph-s">{w0} {w1}{credit}</div></div>'
)
PR_MAIL = (
    '<table class="pr-dl"><tr><td><b>{w0}</b><br>{w1}</td>'
    '<td><a href="/digest">{w2}</a></td></tr></table>'
)
PR_MORE = (
    '<div class="pr-rd"><b>{w}</b><ul><li><a href="{href1}">{h1}</a></li>'
    '<li><a href="{href2}">{h2}</a></li><li><a href="{href3}">{h3}</a></li></ul></div>'
)

# fmt: off
MORE_HELD_OUT: list[OutletSpec] = [
    OutletSpec(
        "lanternwick", "The Lanternwick Observer", "en", "itemprop", ("lw-story", "lw-copy", "lw-aside", "lw-bar"),
        "/news/{y}/{m}/{d}/{slug}", "/syndication/rss2", "rss", "Readers' favourites today",
        (
            _b("author", 1.0, "start", '<p class="lw-cred">{w}</p>', ("Words by {author}, photographs by {author2}", "{author} filed this from Harrowgate Quay, with help from {author2}", "{author} and {author2} in Lanternwick")),
            _b("caption", 0.45, "p1", LW_FIG, ("Residents gather outside the town hall.|Picture: ", "The scene on Tuesday morning.|Photograph by ", "A view across the estuary.|Image courtesy of ")),
            _b("read", 0.5, "any", '<p class="lw-nx"><em>{w}</em> <a href="{href}">{h}</a></p>', ("You might have missed:", "Earlier today ›", "Background reading —")),
            _b("box", 1.0, "mid", LW_BOX, ("The Observer at Eight|A short, sharp rundown of Lanternwick's news, delivered weekday mornings.|Put me on the list",)),
            _b("ad", 0.55, "p3", '<div class="lw-pr" data-slot="{n}"><p>{w}</p></div>', ("ADVERTISING FEATURE", "Commercial partner content")),
            _b("related", 0.6, "end", LW_MORE, ("Elsewhere on the Observer", "Keep reading")),
            _b("tags", 0.35, "end", '<p class="lw-kw">{w} {tags}</p>', ("More about:", "Explore these subjects:"), ("{w}", "{w} {tags}")),
            _b("custom", 0.5, "end", '<p class="lw-tip">{w}</p>', ("Got a story? Message the Observer newsroom on 01632 960418 or drop into our Quay Street office.",)),
            _b("copyright", 1.0, "end", "<p><small>{w}</small></p>", ("All content {year} Lanternwick Observer Media. Copying or redistribution in any medium is prohibited without prior written consent.",)),
        ),
        credits=("Lanternwick Observer/Jo Pratt", "PA Wire", "Shutterstock", "handout"), held_out=True, inline=True, tz=-5,
    ),
    OutletSpec(
        "korfez", "Körfəz İnfo", "az", "article", ("kf-yazi", "kf-metn", "kf-kenar", "kf-bas"),
        "/{y}/{m}/{d}/{slug}", "/atom/son.xml", "atom", "Həftənin gündəmi",
        (
            _b("author", 1.0, "start", '<p class="kf-mh">{w}</p>', ("{author} Bakıdan xəbər verir", "Materialı {author} və {author2} hazırlayıb")),
            _b("caption", 0.5, "start", KF_FIG, ("Hadisə yerindən görüntü.|Fotonun müəllifi: ", "İllüstrativ şəkil.|Mənbə: ")),
            _b("read", 0.6, "p2", '<div class="kf-bax"><em>{w}</em> <a href="{href}">{h}</a></div>', ("Bunu da oxuyun →", "Əvvəlcə xəbər vermişdik:")),
            _b("custom", 0.4, "mid", '<div class="kf-mz">{w}</div>', ("Rəsmi məzənnə: 1 USD = 1.7 AZN · 1 EUR = 1.84 AZN · 1 RUB = 0.02 AZN",)),
            _b("ad", 1.0, "mid", '<div class="kf-rk"><small>{w}</small><div data-zone="{n}"></div></div>', ("Reklam yeri", "Tərəfdaş materialı")),
            _b("box", 0.4, "end", KF_APP, ("Körfəz İnfo mobil tətbiqi|Son dəqiqə xəbərləri və bildirişlər — App Store və Google Play-də pulsuz.|Yüklə",)),
            _b("related", 0.45, "end", KF_MORE, ("Bu mövzuda daha çox",)),
            _b("tags", 0.5, "end", '<p class="kf-et">{w} {tags}</p>', ("Etiketlər:",), ("{w}", "{w} {tags}")),
            _b("copyright", 1.0, "end", '<p class="kf-hq">{w}</p>', ("Körfəz İnfo-nun materiallarını tam və ya qismən yaymaq üçün mənbə göstərilməli, saytın adı qeyd olunmalıdır. {year} ©",)),
        ),
        credits=("Körfəz İnfo", "Trend", "Report.az", "oxucu fotosu"), held_out=True, tz=4,
    ),
    OutletSpec(
        "pristan", "Северная Пристань", "ru", "table", ("pr-td", "pr-body", "pr-col", "pr-lnk"),
        "/a/{y}-{m}-{d}/{slug}", "/rss.php", "rss", "Выбор редакции",
        (
            _b("caption", 0.35, "start", PR_FIG, ("Фото носит иллюстративный характер.|Автор снимка: ", "На месте событий.|Источник фото: ", "Архивный кадр.|© ")),
            _b("read", 0.45, "p1", '<div class="pr-cm"><b>{w}</b> <a href="{href}">{h}</a></div>', ("Ранее мы сообщали:", "Стоит прочитать —")),
            _b("ad", 0.6, "mid", '<p class="pr-erid"><small>{w}</small></p>', ("Реклама. ООО «Пристань-Медиа», ИНН 2901000000, erid: 2SDnjc{n}",), ("{w}", "ООО «Пристань-Медиа»")),
            _b("box", 0.55, "p3", PR_MAIL, ("Вечерний выпуск «Пристани»|Семь главных событий дня — каждый вечер в 19:00 на вашу почту.|Получать письма",)),
            _b("author", 1.0, "end", '<p class="pr-av">{w}</p>', ("{author}, корреспондент «Северной Пристани»", "Подготовили {author} и {author2}", "{author} передаёт с места событий")),
            _b("custom", 0.5, "end", '<p class="pr-dz"><i>{w}</i></p>', ("Мнение автора может не совпадать с позицией редакции.",)),
            _b("related", 1.0, "end", PR_MORE, ("Вам может быть интересно",)),
            _b("tags", 0.4, "end", '<div class="pr-tg">{w} {tags}</div>', ("Темы материала:",), ("{w}", "{w} {tags}")),
            _b("copyright", 1.0, "end", '<p class="pr-pv">{w}</p>', ("Любое использование текстов и фотографий «Северной Пристани» возможно лишь с письменного разрешения редакции. 18+",)),
        ),
        credits=("РИА Новости", "Северная Пристань / Сергей Ветров", "личный архив героя", "Минприроды области"), held_out=True, tz=3,
    ),
]
# fmt: on


# --------------------------------------------------------------------------- texts
# Texts no earlier outlet serves first (demo.outlets.texts_for, by group).
add_group(MORE_HELD_OUT)
