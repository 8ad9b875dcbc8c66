"""Pages of GET /api/v1/petitions (issue 9, issue 10) in the shape API.md fixes:
{"count", "next", "previous", "results"} with `?page=N&page_size=M`, plus two fields that
say how the answer was made:

- `order`: "relevance" (a search with at most SEARCH_RANK_LIMIT matches) or "newest"
  (no search, or a search matching more than that: ranking every match cost seconds for a
  common term, docs/search.md "Bounded searches");
- `count_capped`: false when `count` is exact; true when a search stopped counting, `count`
  then being a lower bound (SEARCH_RANK_LIMIT + 1: "more than SEARCH_RANK_LIMIT").

`next` and `previous` keep `page` and, in newest-first order, add the key of the row they
continue from (`after` / `before`, petitions/paging.py), so a client that follows the links
reads an index range at any depth; a client that builds `?page=N` itself gets the same page
by OFFSET. Relevance-ordered pages are few (at most SEARCH_RANK_LIMIT rows) and go by number.
"""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from xinfang.core.api import Pagination
from xinfang.petitions.selectors import SEARCH_RANK_LIMIT, PetitionFilters, list_page


class PetitionPagination(Pagination):
    def paginate_list(self, request, filters: PetitionFilters) -> list:
        """The page's petitions for the caller (selectors.list_page: visible_to, the
        filters, the bounded search); the links and fields come from it."""
        self.request = request
        size = self.get_page_size(request)
        number = self.get_page_number(request, None)
        listed = list_page(request.user, filters, request.query_params, per_page=size, exact=True)
        page = listed.page
        cursor_given = request.query_params.get("after") or request.query_params.get("before")
        if not cursor_given and number > 1:
            # Past the end is a 404, as DRF answers it. With an exact count that is known from
            # the count (the page read is then the last one); with a capped count, from the
            # page being empty.
            past = number > page.paginator.num_pages if page.paginator.exact else not page.object_list
            if past:
                raise exceptions.NotFound("Invalid page.")
        self.page = page
        self.order = listed.order or "newest"
        return page.object_list

    def _url(self, number: int, key: str, value: str) -> str:
        url = self.request.build_absolute_uri()
        for name in ("after", "before"):
            url = remove_query_param(url, name)
        url = replace_query_param(url, self.page_query_param, number)
        return replace_query_param(url, key, value) if value else url

    def get_next_link(self):
        if not self.page.has_next:
            return None
        return self._url(self.page.next_page_number(), "after", self.page.next_cursor)

    def get_previous_link(self):
        if not self.page.has_previous():
            return None
        if self.page.previous_page_number() == 1:
            # DRF's links name no page for the first one; keep that shape.
            return remove_query_param(self._url(1, "before", ""), self.page_query_param)
        return self._url(self.page.previous_page_number(), "before", self.page.previous_cursor)

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.page.paginator.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
                "order": self.order,
                "count_capped": not self.page.paginator.exact,
            }
        )

    def get_paginated_response_schema(self, schema):
        described = super().get_paginated_response_schema(schema)
        described["properties"]["count"]["description"] = (
            "the number of results; a lower bound when count_capped is true"
        )
        described["properties"]["order"] = {
            "type": "string",
            "enum": ["relevance", "newest"],
            "description": f"relevance: a search with at most {SEARCH_RANK_LIMIT:,} matches; newest: "
            "no search, or a search matching more (newest first, follow next/previous)",
        }
        described["properties"]["count_capped"] = {
            "type": "boolean",
            "description": f"true when a search matched more than {SEARCH_RANK_LIMIT:,} petitions "
            "and stopped counting: count is then a lower bound",
        }
        described["required"] = [*described.get("required", []), "order", "count_capped"]
        return described
