"""Keyset pages for GET /api/v1/petitions (issue 9), in the shape API.md fixes:
{"count", "next", "previous", "results"} with `?page=N&page_size=M`.

`next` and `previous` keep `page` and add the key of the row they continue from
(`after` / `before`, petitions/paging.py), so a client that follows the links
reads an index range at any depth; a client that builds `?page=N` itself gets the
same page by OFFSET, as before. `count` stays exact (the contract says so).
"""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from xinfang.core.api import Pagination
from xinfang.petitions.models import Petition
from xinfang.petitions.paging import KeysetPaginator, keyset_page
from xinfang.petitions.selectors import list_count


class PetitionPagination(Pagination):
    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = self.get_page_size(request)
        number = self.get_page_number(request, None)
        # The view's filters (PetitionListView): the count and a typed page's start may come
        # from the list's index instead of walking every visible petition (selectors.list_index).
        filters = getattr(view, "list_filters", None)
        if filters is not None:
            count, locate = list_count(request.user, filters, queryset, cap=None)
        else:
            count, locate = queryset.count(), None
        cursor_given = request.query_params.get("after") or request.query_params.get("before")
        last = KeysetPaginator(count=count, per_page=size, exact=True).num_pages
        if not cursor_given and number > last and (count or number > 1):
            raise exceptions.NotFound("Invalid page.")  # before reading a page it would not show
        self.page = keyset_page(
            queryset,
            request.query_params,
            per_page=size,
            count=count,
            cap=count,
            locate=locate,
            sparse=Petition.objects.handled_ids(request.user) is not None,
        )
        return self.page.object_list

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
            }
        )
