"""Limit/offset pages with the total count, as every list of the API gives them."""

from typing import Any

from ninja import Field, Schema
from ninja.pagination import PaginationBase, paginate

__all__ = ["LimitOffset", "paginate"]

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
# Far beyond any list, and small enough that offset + limit stays a 64-bit integer in SQL.
MAX_OFFSET = 2**53


class LimitOffset(PaginationBase):
    class Input(Schema):
        limit: int = Field(
            DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"At most {MAX_LIMIT} items a page."
        )
        offset: int = Field(0, ge=0, le=MAX_OFFSET)

    class Output(Schema):
        items: list[Any]
        count: int = Field(description="All items matching, across pages.")
        limit: int
        offset: int

    def paginate_queryset(self, queryset, pagination: Input, request, **params):
        offset, limit = pagination.offset, pagination.limit
        return {
            "items": list(queryset[offset : offset + limit]),
            "count": self._items_count(queryset),
            "limit": limit,
            "offset": offset,
        }
