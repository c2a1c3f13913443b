"""Whole responses of the public pages, cached until the content changes.

Aggregates over every matching briefing (facet counts, year digests, the change-over-time
matrix) cost time in proportion to the number of briefings; the answer only changes when a
curator, an import or a restore changes the content. So each public page's response is kept
in Django's cache under a key made of the request and the current `ContentVersion` token, and
any save, delete or many-to-many change of a model a page shows replaces the token: nothing
stale is ever served, and the old entries simply age out of the cache.

The token lives in the database, not in the cache, so every server process and every command
(import, restore, seed) sees a change at once, whatever the cache backend. Reading it is the
one query a cached page costs. A change made inside a transaction replaces the token inside
the same transaction, so no other process sees the new token before the new content.
"""

import functools
import hashlib
import uuid

from django.core.cache import cache
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


def content_changed(**kwargs):
    """Receiver for every change to what public pages show: a new token, so no cached page is used again."""
    updated = ContentVersion.objects.filter(pk=1).update(token=uuid.uuid4().hex)
    if not updated:
        ContentVersion.objects.get_or_create(pk=1, defaults={"token": uuid.uuid4().hex})


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
        token = ContentVersion.objects.filter(pk=1).values_list("token", flat=True).first()
        if token is None:  # nothing saved since the database was created or emptied
            return view(request, *args, **kwargs)
        key = _key(request, token)
        response = cache.get(key)
        if response is not None:
            return response
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming and not response.cookies:
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
            cache.set(key, response)
        return response

    return wrapper
