"""The schema steps of the desk at scale (versions 9 and later), frozen like the
steps before them in :mod:`store.migrations`, which re-exports them.

Version 9 and later are what a store of a million articles needs to answer every page
of the desk in milliseconds and to take new articles as fast as a small one: stored
days, kept counts, carried stories, a CJK word index and dedup bands keyed by period.
Never edit a step here once it has shipped (tests/test_schema_frozen.py checks); this
module imports nothing from the store.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils


def v9_desk(db: sqlite_utils.Database) -> None:
    """What the analyst's desk reads at a million articles (store/desk.py owns it): a
    stored publication ``day`` and indexes for what is filtered, faceted and sorted;
    article counts kept by triggers in the writer's own transaction, per day x source x
    language x section x topic (``article_counts``) and per source x language x section x
    topic (``article_totals``); a full-text index that follows title and text only."""

    # The day an article belongs to: the outlet's own calendar day when the page gave a
    # publication time (published_at keeps the outlet's offset), else the day newsmon saw it.
    def day(row: str) -> str:
        return f'substr(coalesce({row}."published_at", {row}."first_seen_at"), 1, 10)'

    def key(row: str, columns: tuple[str, ...]) -> str:
        """An article's key (NULL stored as '': a key must compare equal), as columns."""
        values = {
            "day": day(row),
            "source": f'{row}."source"',
            "language": f'{row}."language"',
            "section": f'{row}."section"',
        }
        return ", ".join(f"coalesce({values[c]}, '') AS \"{c}\"" for c in columns)

    # An update of any other column (the day, a reparse's provenance) no longer deletes
    # and re-inserts the article's full-text row.
    db.execute('DROP TRIGGER IF EXISTS "articles_au"')
    db.execute(
        """CREATE TRIGGER "articles_au" AFTER UPDATE OF "title", "text" ON "articles" BEGIN
  INSERT INTO "articles_fts" ("articles_fts", rowid, "title", "text") VALUES('delete', old.rowid, old."title", old."text");
  INSERT INTO "articles_fts" (rowid, "title", "text") VALUES (new.rowid, new."title", new."text");
END"""
    )
    if "day" not in db["articles"].columns_dict:
        db.execute('ALTER TABLE "articles" ADD COLUMN "day" TEXT')
    db.execute(f'UPDATE "articles" SET "day" = {day("articles")}')
    # Whatever writes an article, its day follows its times.
    for name, event in (
        ("articles_day_ai", "INSERT"),
        ("articles_day_au", 'UPDATE OF "published_at", "first_seen_at", "day"'),
    ):
        db.execute(
            f"""CREATE TRIGGER IF NOT EXISTS "{name}" AFTER {event} ON "articles"
WHEN new."day" IS NOT {day("new")} BEGIN
  UPDATE "articles" SET "day" = {day("new")} WHERE "id" = new."id";
END"""
        )
    for name, columns in (
        ("idx_articles_day_published_at", '"day", "published_at"'),
        ("idx_articles_language_published_at", '"language", "published_at"'),
        ("idx_articles_section_published_at", '"section", "published_at"'),
        ("idx_articles_source_first_seen_at", '"source", "first_seen_at"'),
    ):
        db.execute(f'CREATE INDEX IF NOT EXISTS "{name}"\n    ON "articles" ({columns})')
    db.execute(
        'CREATE INDEX IF NOT EXISTS "idx_run_errors_source_at"\n    ON "run_errors" ("source", "at")'
    )
    db.execute(
        'CREATE INDEX IF NOT EXISTS "idx_sightings_article_id_source"\n'
        '    ON "sightings" ("article_id", "source")'
    )

    tables = {
        "article_counts": ("source", "day", "language", "section"),
        "article_totals": ("source", "language", "section"),
    }
    for table, columns in tables.items():
        names = ", ".join(f'"{c}"' for c in columns)
        groups = ", ".join(str(i) for i in range(2, len(columns) + 2))
        db.execute(
            f'CREATE TABLE IF NOT EXISTS "{table}" (\n'
            '    "topic" TEXT NOT NULL,\n'
            + "".join(f'    "{c}" TEXT NOT NULL,\n' for c in columns)
            + '    "articles" INTEGER NOT NULL DEFAULT 0,\n'
            f'    PRIMARY KEY ("topic", {names})\n'
            ") WITHOUT ROWID"
        )
        db.execute(f'DELETE FROM "{table}"')
        db.execute(
            f'INSERT INTO "{table}" ("topic", {names}, "articles")\n'
            f"SELECT '', {key('a', columns)}, count(*) FROM \"articles\" a GROUP BY {groups}"
        )
        db.execute(
            f'INSERT INTO "{table}" ("topic", {names}, "articles")\n'
            f'SELECT t."topic", {key("a", columns)}, count(*)\n'
            'FROM "article_topics" t JOIN "articles" a ON a."id" = t."article_id"\n'
            f'WHERE t."topic" IS NOT NULL GROUP BY 1, {groups}'
        )
        plus = f'ON CONFLICT ("topic", {names}) DO UPDATE SET "articles" = "articles" + 1'
        match_old = " AND ".join(
            f"\"{c}\" = coalesce({day('old') if c == 'day' else f'old.{chr(34)}{c}{chr(34)}'}, '')"
            for c in columns
        )
        # The rows of an article's old key: itself (topic '') and each of its topics.
        minus_old = f"""UPDATE "{table}" SET "articles" = "articles" - 1
  WHERE {match_old}
    AND ("topic" = '' OR "topic" IN
      (SELECT "topic" FROM "article_topics" WHERE "article_id" = old."id"));"""
        add_new = f"""INSERT INTO "{table}" ("topic", {names}, "articles")
  SELECT '', {key("new", columns)}, 1 WHERE true {plus};"""
        add_new_topics = f"""INSERT INTO "{table}" ("topic", {names}, "articles")
  SELECT t."topic", {key("new", columns)}, 1 FROM "article_topics" t
  WHERE t."article_id" = new."id" AND t."topic" IS NOT NULL {plus};"""
        changed = " OR ".join(
            f"({day('old')} IS NOT {day('new')})" if c == "day" else f'(old."{c}" IS NOT new."{c}")'
            for c in columns
        )
        db.execute(
            f"""CREATE TRIGGER IF NOT EXISTS "{table}_ai" AFTER INSERT ON "articles" BEGIN
  {add_new}
END"""
        )
        db.execute(
            f"""CREATE TRIGGER IF NOT EXISTS "{table}_ad" AFTER DELETE ON "articles" BEGIN
  {minus_old}
END"""
        )
        db.execute(
            f"""CREATE TRIGGER IF NOT EXISTS "{table}_au"
AFTER UPDATE OF "published_at", "first_seen_at", "source", "language", "section" ON "articles"
WHEN {changed} BEGIN
  {minus_old}
  {add_new}
  {add_new_topics}
END"""
        )
        tag_plus = f"""INSERT INTO "{table}" ("topic", {names}, "articles")
  SELECT new."topic", {key("a", columns)}, 1 FROM "articles" a
  WHERE a."id" = new."article_id" AND new."topic" IS NOT NULL {plus};"""
        match_k = " AND ".join(f'"{table}"."{c}" = k."{c}"' for c in columns)
        tag_minus = f"""UPDATE "{table}" SET "articles" = "articles" - 1
  FROM (SELECT {key("a", columns)} FROM "articles" a WHERE a."id" = old."article_id") AS k
  WHERE "{table}"."topic" = old."topic" AND {match_k};"""
        db.execute(
            f"""CREATE TRIGGER IF NOT EXISTS "{table}_tag_ai" AFTER INSERT ON "article_topics"
BEGIN
  {tag_plus}
END"""
        )
        db.execute(
            f"""CREATE TRIGGER IF NOT EXISTS "{table}_tag_ad" AFTER DELETE ON "article_topics"
BEGIN
  {tag_minus}
END"""
        )
        db.execute(
            f"""CREATE TRIGGER IF NOT EXISTS "{table}_tag_au"
AFTER UPDATE OF "article_id", "topic" ON "article_topics" BEGIN
  {tag_minus}
  {tag_plus}
END"""
        )
    # Charts over a range of days and the day facet read this index alone.
    db.execute(
        'CREATE INDEX IF NOT EXISTS "idx_article_counts_topic_day"\n'
        '    ON "article_counts" ("topic", "day", "source", "articles")'
    )
    # A tag carries its article's publication time, kept by triggers, so that a topic's
    # page newest first and its row count read one index of article_topics (a join that
    # sorts a topic's articles reads them all: seconds at a million).
    if "published_at" not in db["article_topics"].columns_dict:
        db.execute('ALTER TABLE "article_topics" ADD COLUMN "published_at" TEXT')
    db.execute(
        'UPDATE "article_topics" SET "published_at" =\n'
        '    (SELECT a."published_at" FROM "articles" a WHERE a."id" = "article_id")'
    )
    db.execute(
        """CREATE TRIGGER IF NOT EXISTS "article_topics_published_ai" AFTER INSERT ON "article_topics"
BEGIN
  UPDATE "article_topics" SET "published_at" =
    (SELECT a."published_at" FROM "articles" a WHERE a."id" = new."article_id")
  WHERE "article_id" = new."article_id" AND "topic" IS new."topic";
END"""
    )
    db.execute(
        """CREATE TRIGGER IF NOT EXISTS "articles_published_topics_au"
AFTER UPDATE OF "published_at" ON "articles" BEGIN
  UPDATE "article_topics" SET "published_at" = new."published_at" WHERE "article_id" = new."id";
END"""
    )
    db.execute(
        'CREATE INDEX IF NOT EXISTS "idx_article_topics_topic_published_at"\n'
        '    ON "article_topics" ("topic", "published_at")'
    )
    db.execute(
        'CREATE INDEX IF NOT EXISTS "idx_article_topics_published_at"\n'
        '    ON "article_topics" ("published_at")'
    )
    # Topic facets and filters by day on the view, too. LEFT JOIN: every tag has its
    # article (a foreign key), and SQLite then counts a topic's rows from its index alone.
    db.execute('DROP VIEW IF EXISTS "articles_by_topic"')
    db.execute(
        'CREATE VIEW "articles_by_topic" AS\n'
        "SELECT\n"
        "  t.topic AS topic,\n"
        "  a.id AS article_id,\n"
        "  t.published_at AS published_at,\n"
        "  a.day AS day,\n"
        "  a.source AS source,\n"
        "  a.language AS language,\n"
        "  a.section AS section,\n"
        "  a.title AS title,\n"
        "  t.snippet AS snippet,\n"
        "  t.matched_terms AS matched_terms,\n"
        "  a.url AS url,\n"
        "  a.first_seen_at AS first_seen_at\n"
        "FROM article_topics t LEFT JOIN articles a ON a.id = t.article_id\n"
    )


def v10_desk_stories(db: sqlite_utils.Database) -> None:
    """What v9 left reading the articles at a million (store/desk.py owns it): the
    articles also seen at another outlet, kept as rows by triggers on sightings
    (``carried_articles``: a few per cent of the articles, read by the stories page and the
    dashboard's carried charts); and a tag that carries its article's day, source, language
    and section as well as its time, so ``articles_by_topic`` counts and filters its rows
    from article_topics alone (a join to the articles read every tagged article)."""
    db.execute(
        'CREATE TABLE IF NOT EXISTS "carried_articles" (\n'
        '    "article_id" INTEGER PRIMARY KEY,\n'
        '    "outlets" INTEGER NOT NULL,\n'
        '    "source" TEXT,\n'
        '    "day" TEXT,\n'
        '    "published_at" TEXT\n'
        ")"
    )
    db.execute(
        'CREATE INDEX IF NOT EXISTS "idx_carried_articles_outlets_day"\n'
        '    ON "carried_articles" ("outlets", "day", "published_at")'
    )
    db.execute(
        'CREATE INDEX IF NOT EXISTS "idx_carried_articles_day"\n    ON "carried_articles" ("day")'
    )

    def carried(article: str) -> str:
        """Replace the kept row of one article: present when another outlet carried it
        (a sighting from a source other than its own); outlets = its own and theirs."""
        other = (
            'FROM "sightings" s WHERE s."article_id" = a."id" AND s."source" IS NOT NULL '
            'AND s."source" != coalesce(a."source", \'\')'
        )
        return f"""DELETE FROM "carried_articles" WHERE "article_id" = {article};
  INSERT INTO "carried_articles" ("article_id", "outlets", "source", "day", "published_at")
  SELECT a."id", (a."source" IS NOT NULL) + (SELECT count(DISTINCT s."source") {other}),
    a."source", a."day", a."published_at"
  FROM "articles" a WHERE a."id" = {article} AND EXISTS (SELECT 1 {other});"""

    db.execute('DELETE FROM "carried_articles"')
    db.execute(
        """INSERT INTO "carried_articles" ("article_id", "outlets", "source", "day", "published_at")
SELECT a."id", (a."source" IS NOT NULL) + p."n", a."source", a."day", a."published_at"
FROM (SELECT s."article_id", count(DISTINCT s."source") AS "n" FROM "sightings" s
      JOIN "articles" o ON o."id" = s."article_id"
      WHERE s."source" IS NOT NULL AND s."source" != coalesce(o."source", '')
      GROUP BY s."article_id") AS p
JOIN "articles" a ON a."id" = p."article_id\""""
    )
    for name, event, body in (
        ("carried_articles_sight_ai", 'AFTER INSERT ON "sightings"', carried('new."article_id"')),
        ("carried_articles_sight_ad", 'AFTER DELETE ON "sightings"', carried('old."article_id"')),
        (
            "carried_articles_sight_au",
            'AFTER UPDATE OF "article_id", "source" ON "sightings"',
            carried('old."article_id"') + "\n  " + carried('new."article_id"'),
        ),
        (
            "carried_articles_au",
            'AFTER UPDATE OF "source", "day", "published_at" ON "articles"\n'
            'WHEN EXISTS (SELECT 1 FROM "sightings" WHERE "article_id" = new."id")',
            carried('new."id"'),
        ),
        (
            "carried_articles_ad",
            'AFTER DELETE ON "articles"',
            'DELETE FROM "carried_articles" WHERE "article_id" = old."id";',
        ),
    ):
        db.execute(f'CREATE TRIGGER IF NOT EXISTS "{name}" {event} BEGIN\n  {body}\nEND')

    # A tag carries what the topic's pages filter, facet and sort by (v9 kept the time).
    copied = ("published_at", "day", "source", "language", "section")
    for column in copied[1:]:
        if column not in db["article_topics"].columns_dict:
            db.execute(f'ALTER TABLE "article_topics" ADD COLUMN "{column}" TEXT')
    names = ", ".join(f'"{c}"' for c in copied)
    from_article = ", ".join(f'a."{c}"' for c in copied)
    from_new = ", ".join(f'new."{c}"' for c in copied)
    db.execute(
        f'UPDATE "article_topics" SET ({names}) =\n'
        f'    (SELECT {from_article} FROM "articles" a WHERE a."id" = "article_id")'
    )
    db.execute('DROP TRIGGER IF EXISTS "article_topics_published_ai"')
    db.execute('DROP TRIGGER IF EXISTS "articles_published_topics_au"')
    fill = f"""UPDATE "article_topics" SET ({names}) =
    (SELECT {from_article} FROM "articles" a WHERE a."id" = new."article_id")
  WHERE "article_id" = new."article_id" AND "topic" IS new."topic";"""
    db.execute(
        f"""CREATE TRIGGER IF NOT EXISTS "article_topics_article_ai" AFTER INSERT ON "article_topics"
BEGIN
  {fill}
END"""
    )
    db.execute(
        f"""CREATE TRIGGER IF NOT EXISTS "article_topics_article_au"
AFTER UPDATE OF "article_id" ON "article_topics" BEGIN
  {fill}
END"""
    )
    db.execute(
        f"""CREATE TRIGGER IF NOT EXISTS "articles_topics_au"
AFTER UPDATE OF {names} ON "articles" BEGIN
  UPDATE "article_topics" SET ({names}) = ({from_new}) WHERE "article_id" = new."id";
END"""
    )
    # Every column a topic's page filters by comes from the tag; the article's title and
    # address are looked up for the rows shown only, so a count reads an index of tags.
    db.execute('DROP VIEW IF EXISTS "articles_by_topic"')
    db.execute(
        'CREATE VIEW "articles_by_topic" AS\n'
        "SELECT\n"
        "  t.topic AS topic,\n"
        "  t.article_id AS article_id,\n"
        "  t.published_at AS published_at,\n"
        "  t.day AS day,\n"
        "  t.source AS source,\n"
        "  t.language AS language,\n"
        "  t.section AS section,\n"
        "  (SELECT a.title FROM articles a WHERE a.id = t.article_id) AS title,\n"
        "  t.snippet AS snippet,\n"
        "  t.matched_terms AS matched_terms,\n"
        "  (SELECT a.url FROM articles a WHERE a.id = t.article_id) AS url,\n"
        "  (SELECT a.first_seen_at FROM articles a WHERE a.id = t.article_id) AS first_seen_at\n"
        "FROM article_topics t\n"
    )


def v11_cjk_pairs(
    db: sqlite_utils.Database, *, index_articles: Callable[[sqlite_utils.Database], object]
) -> None:
    """A pair index of Chinese, Japanese and Korean text (store/cjk.py owns it): a word
    inside a sentence is found without reading every article in those languages. Triggers
    queue every article written in them; ``index_articles(db)`` indexes the queue."""
    db.execute(
        'CREATE VIRTUAL TABLE IF NOT EXISTS "articles_cjk" USING FTS5 ("pairs", '
        "content='', detail=none, tokenize='unicode61 remove_diacritics 0')"
    )
    db.execute('CREATE TABLE IF NOT EXISTS "cjk_pending" ("article_id" INTEGER PRIMARY KEY)')
    languages = "('zh', 'ja', 'ko')"
    for name, event in (
        ("articles_cjk_ai", "INSERT"),
        ("articles_cjk_au", 'UPDATE OF "title", "text", "language"'),
    ):
        db.execute(
            f"""CREATE TRIGGER IF NOT EXISTS "{name}" AFTER {event} ON "articles"
WHEN new."language" IN {languages} BEGIN
  INSERT OR IGNORE INTO "cjk_pending" ("article_id") VALUES (new."id");
END"""
        )
    db.execute(
        'INSERT OR IGNORE INTO "cjk_pending" ("article_id")\n'
        f'SELECT "id" FROM "articles" WHERE "language" IN {languages}'
    )
    index_articles(db)


def v12_dedup_bands_by_day(db: sqlite_utils.Database) -> None:
    """The dedup index's bands keyed by (key, day, article id) instead of (key, article id)
    (store/dedup.py owns them): a lookup reads the bands of its time window only. Keyed by
    article, a band key that many articles share (a recurring paragraph) was read over the
    whole history on every append: 3 ms a record at a million articles, 0.2 at 100,000."""
    db.execute('DROP TABLE IF EXISTS "dedup_bands_v12"')
    db.execute(
        'CREATE TABLE "dedup_bands_v12" ("key" INTEGER NOT NULL, "day" INTEGER NOT NULL, '
        '"article_id" INTEGER NOT NULL, PRIMARY KEY ("key", "day", "article_id")) WITHOUT ROWID'
    )
    if db["dedup_bands"].exists():
        db.execute(
            'INSERT OR IGNORE INTO "dedup_bands_v12" ("key", "day", "article_id")\n'
            'SELECT "key", coalesce("day", 0), "article_id" FROM "dedup_bands" ORDER BY 1, 2, 3'
        )
        db.execute('DROP TABLE "dedup_bands"')
    db.execute('ALTER TABLE "dedup_bands_v12" RENAME TO "dedup_bands"')


def v13_dedup_bands_by_period(db: sqlite_utils.Database) -> None:
    """The dedup index's bands keyed by (period, key, day, article id), a period being 64
    days (``day / 64``), instead of (key, day, article id) (store/dedup.py owns them).

    Band keys are random: keyed by them first, the bands of one day are spread over the
    whole table, and each append reads about twenty pages from anywhere in a history of
    years, which a store larger than the memory left for caching reads from disk. Keyed
    by period first, the appends and lookups of a time window stay in that window's part
    of the index, whatever the length of the history."""
    db.execute('DROP TABLE IF EXISTS "dedup_bands_v13"')
    db.execute(
        'CREATE TABLE "dedup_bands_v13" ("period" INTEGER NOT NULL, "key" INTEGER NOT NULL, '
        '"day" INTEGER NOT NULL, "article_id" INTEGER NOT NULL, '
        'PRIMARY KEY ("period", "key", "day", "article_id")) WITHOUT ROWID'
    )
    if db["dedup_bands"].exists():
        db.execute(
            'INSERT OR IGNORE INTO "dedup_bands_v13" ("period", "key", "day", "article_id")\n'
            'SELECT "day" / 64, "key", "day", "article_id" FROM "dedup_bands" ORDER BY 1, 2, 3, 4'
        )
        db.execute('DROP TABLE "dedup_bands"')
    db.execute('ALTER TABLE "dedup_bands_v13" RENAME TO "dedup_bands"')
