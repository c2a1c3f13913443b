"""Whole responses of the public pages, cached until the content changes.

Aggregates over every matching briefing (facet counts, year digests, the change-over-time
matrix) cost time in proportion to the number of briefings; the answer only changes when a
curator, an import or a restore changes the content. So each public page's response is kept
in Django's cache under a key made of the request and the current `ContentVersion` token, and
any save, delete or many-to-many change of a model a page shows replaces the token: nothing
stale is served, and the old entries simply age out of the cache.

The token lives in the database, not in the cache, so every server process and every command
(import, restore, seed) sees a change at once, whatever the cache backend. Reading it is the
one query a cached page costs. It is replaced once the changing transaction has committed, in
a short transaction of its own: replacing it inside the writer's transaction would lock the
row in the middle of every curator's save and could deadlock two of them. A reader reads the
token before any content, so a page built from old content is never stored under a new token.
See docs/page-cache.md.
"""

import functools
import hashlib
import uuid

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from .models import (
    Assessment,
    ContentVersion,
    Country,
    Source,
    Speaker,
    Speech,
    Statistic,
    ThreatCategory,
)

SHOWN_MODELS = (Speaker, ThreatCategory, Country, Speech, Source, Statistic, Assessment)
SHOWN_RELATIONS = (Speech.threats, Speech.countries, Statistic.countries, Assessment.countries)
# The htmx headers the views answer differently to; the rest of the request is its address.
HTMX_HEADERS = ("HX-Request", "HX-Boosted", "HX-History-Restore-Request")


class _NewToken:
    """Replaces the token when the transaction that changed the content commits. Until it has
    run, it marks its connection as holding uncommitted changes (see `_uncommitted_change`)."""

    done = False

    def __call__(self):
        self.done = True
        ContentVersion.objects.update_or_create(pk=1, defaults={"token": uuid.uuid4().hex})


def _uncommitted_change(connection):
    return any(isinstance(callback, _NewToken) and not callback.done for _ids, callback, _robust in connection.run_on_commit)


def content_changed(**kwargs):
    """Receiver for every change to what public pages show: a new token once the change is
    committed (at once outside a transaction), so no page cached before it is used again. One
    replacement per transaction, however many rows it changes."""
    if not _uncommitted_change(transaction.get_connection()):
        transaction.on_commit(_NewToken())


def connect_signals():
    for model in SHOWN_MODELS:
        post_save.connect(content_changed, sender=model, dispatch_uid=f"pagecache-save-{model.__name__}")
        post_delete.connect(content_changed, sender=model, dispatch_uid=f"pagecache-delete-{model.__name__}")
    for relation in SHOWN_RELATIONS:
        through = relation.through
        m2m_changed.connect(content_changed, sender=through, dispatch_uid=f"pagecache-m2m-{through.__name__}")


def _key(request, token):
    parts = [token, request.scheme, request.get_host(), request.get_full_path(),
             *(request.headers.get(header, "") for header in HTMX_HEADERS)]
    return "page:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()


def cached_page(view):
    """Serve the view's successful GET responses from the cache while the content is unchanged.
    Only complete 200 responses that set no cookie are kept; errors and streams are not."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if _uncommitted_change(transaction.get_connection()):
            # This connection's own changes are not committed yet: other readers cannot see them,
            # so copies made now or before would be wrong for one side or the other.
            return view(request, *args, **kwargs)
        token = ContentVersion.objects.filter(pk=1).values_list("token", flat=True).first()
        if token is None:  # emptied by flush, and nothing saved since
            return view(request, *args, **kwargs)
        key = _key(request, token)
        response = cache.get(key)
        if response is not None:
            return response
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming and not response.cookies:
            cache.set(key, response)
        return response

    return wrapper
