"""Paging where the number of rows is known already."""

from django.core.paginator import Paginator


class CountedPaginator(Paginator):
    """A Paginator told how many rows there are (counted by a cheaper query than COUNT over the
    rows as fetched, or summed from counts the page needs anyway), so it does not count them."""

    def __init__(self, object_list, per_page, *, count):
        super().__init__(object_list, per_page, allow_empty_first_page=True)
        self._count = count

    @property
    def count(self):
        return self._count
