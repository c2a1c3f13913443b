"""Paging where the number of rows is known already, and rows in an index's order."""

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


class InIndexOrder:
    """The items of an index's selection (facets.Selection, figure_facets.FigureSelection) in
    the index's order, for a Paginator: a page's ids are read off the index and its `rows`
    (a queryset) fetched by id."""

    def __init__(self, selection, rows):
        self.selection = selection
        self.rows = rows

    def __len__(self):
        return self.selection.count()

    def __getitem__(self, page):
        ids = self.selection.ids(page.start, page.stop - page.start)
        found = self.rows.in_bulk(ids)
        return [found[pk] for pk in ids]
