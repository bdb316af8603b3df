"""Datasette plugin of newsmon serve-db: facets answered from the kept counts.

A ``counted`` facet (``{"counted": "source"}`` in a table's metadata) sums the counts
store/desk.py keeps instead of grouping every article, whenever the page's filters are
equalities on counted columns (or a topic); otherwise (a search, a range, another column)
it counts the rows exactly like Datasette's own column facet. Its results and links are
those of a column facet, so the page looks the same either way. On the articles table a
``topic`` facet counts the articles each topic tags and links to the topic's articles.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from datasette.database import QueryInterrupted
from datasette.facets import ColumnFacet
from datasette.utils import path_with_added_args, path_with_removed_args

from datasette import hookimpl
from store.desk import COUNTED, counted_filters, facet_query, topic_of_through


class CountedFacet(ColumnFacet):
    type = "counted"

    async def suggest(self) -> list[Any]:
        return []  # the column facet suggests; counted ones come from the metadata

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        pairs = self.get_querystring_pairs()
        filters = counted_filters(self.table or "", pairs)
        configs = self.get_configs()
        columns = [c["config"].get("column") or c["config"]["simple"] for c in configs]
        size = self.get_facet_size()
        results: list[dict[str, Any]] = []
        timed_out: list[str] = []
        for config, column in zip(configs, columns, strict=True):
            if column not in COUNTED:
                continue
            # Which other topics a topic's articles carry is not in the counts.
            cotagged = self.table == "articles" and column == "topic" and "topic" in (filters or {})
            if filters is not None and not cotagged:
                sql, params = facet_query(self.table, column, filters, size + 1)
            elif column == "topic" and self.table == "articles":
                # articles as the page filters them, then their topics
                sql = (
                    "SELECT topic AS value, count(*) AS count FROM article_topics "
                    f"WHERE article_id IN (SELECT id FROM ({self.sql})) "
                    f"GROUP BY topic ORDER BY count DESC, value LIMIT {size + 1}"
                )
                params = self.params
            else:  # the rows as the page filters them, as Datasette's column facet counts
                sql = (
                    f'SELECT "{column}" AS value, count(*) AS count FROM ({self.sql}) '
                    f'WHERE "{column}" IS NOT NULL GROUP BY "{column}" '
                    f"ORDER BY count DESC, value LIMIT {size + 1}"
                )
                params = self.params
            try:
                rows = await self.ds.execute(
                    self.database,
                    sql,
                    params,
                    truncate=False,
                    custom_time_limit=self.ds.setting("facet_time_limit_ms"),
                )
            except QueryInterrupted:
                timed_out.append(column)
                continue
            values = [
                self._value(column, row["value"], row["count"], pairs, filters) for row in rows.rows
            ]
            results.append(
                {
                    "name": column,
                    "type": self.type,
                    "hideable": config["source"] != "metadata",
                    "toggle_url": self.ds.urls.path(
                        path_with_removed_args(self.request, {"_facet_counted": column})
                    ),
                    "results": values[:size],
                    "truncated": len(values) > size,
                }
            )
        return results, timed_out

    def _value(
        self,
        column: str,
        value: Any,
        count: int,
        pairs: list[tuple[str, str]],
        filters: dict[str, str] | None,
    ) -> dict[str, Any]:
        """One facet value with the link that selects it (or, selected, removes it)."""
        if column == "topic" and self.table == "articles":
            arg = json.dumps({"table": "article_topics", "column": "topic", "value": value})
            selected = any(k == "_through" and topic_of_through(v) == value for k, v in pairs)
            if not selected and filters is not None and "topic" not in filters:
                # The topic's own page, with the same filters: its tags carry every counted
                # column, so it reads one index (the articles table would sort the topic).
                path = self.ds.urls.table(
                    self.database, "articles_by_topic", format=self.request.url_vars.get("format")
                )
                path += "?"
                path += urlencode({**filters, "topic": value})
                return self._link(value, count, path, selected)
            if selected:
                kept = [
                    (k, v)
                    for k, v in pairs
                    if not (k == "_through" and topic_of_through(v) == value)
                ]
                path = self.request.path + ("?" + urlencode(kept) if kept else "")
            else:
                path = path_with_added_args(self.request, {"_through": arg})
        else:
            either = {column: str(value), f"{column}__exact": str(value)}
            selected = any(pair in pairs for pair in either.items())
            if selected:
                path = path_with_removed_args(self.request, either)
            else:
                path = path_with_added_args(self.request, {column: value})
        return self._link(value, count, self.ds.urls.path(path), selected)

    def _link(self, value: Any, count: int, path: str, selected: bool) -> dict[str, Any]:
        return {
            "value": value,
            "label": value,
            "count": count,
            "toggle_url": self.ds.absolute_url(self.request, path),
            "selected": selected,
        }


@hookimpl
def register_facet_classes() -> list[type]:
    return [CountedFacet]
