"""Whole responses of the public pages, cached until the content changes, in one cache that
every server process shares.

Built on Django's own machinery: `PageCacheMiddleware` is used as a view decorator
(`cached_page`, made by `decorator_from_middleware` as Django's `cache_page` is) and keys
pages with `django.utils.cache.learn_cache_key`/`get_cache_key`: the absolute URL plus the
request headers the response's `Vary` names. The key prefix is the current `ContentVersion`
token, so any save, delete or many-to-many change of a model a page shows retires every page
at once: nothing stale is served, and old entries age out of the (bounded) cache.

The cache is `CACHES["default"]`: the database cache by default (every worker and command
shares it; `manage.py createcachetable` makes its table), Redis where REDIS_URL is set. Each
process keeps copies of the pages it served last, and of their header lists, in
`CACHES["here"]` (in memory) under the same keys (`_Layered`): a key names its content
version, so a copy is never stale.

The token lives in the database, so every process and command sees a change at once. It is
replaced after the changing transaction has committed, in a short transaction of its own (in
the writer's transaction it would lock the row during every curator's save and could
deadlock two of them). A reader reads the token before any content, so a page built from old
content is never stored under a new token. A request inside a transaction (none are, in
production: ATOMIC_REQUESTS is off) neither reads nor stores copies, since its own
uncommitted changes may differ from what everyone else sees. After a change, the most-visited
pages are rebuilt once in a background thread (`warm_pages`), so no reader waits for them.

Readers who ask for the same missing page at the same time, in any process, have it built
once: the first claims it (`claim`, an atomic `cache.add`) and the others wait for its copy
(`await_built`), as `reuse` and the kept indexes do for their values. See docs/page-cache.md.
"""

import hashlib
import pickle
import threading
import time
import uuid
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache, caches
from django.db import connection, connections, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.cache import get_cache_key, learn_cache_key, patch_vary_headers
from django.utils.decorators import decorator_from_middleware

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
# A bigger page is built every time rather than crowd out many small ones.
MAX_PAGE_BYTES = 256 * 1024
TIMEOUT = 60 * 60
# Says whether a response came from the cache ("hit") or was built and stored ("miss"), for
# load tests' hit rates (benchmarks/run.py --mix).
STATE_HEADER = "X-Page-Cache"
# How long the readers of a page (or value) being built wait for it before building it
# themselves, and how long a claim lasts if its builder dies before releasing it.
BUILD_WAIT = 10.0
CLAIM_SECONDS = 15
POLL_SECONDS = 0.02


def current_token():
    # In SQL: building the ORM query took a third of a cached page's time.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT token FROM {connection.ops.quote_name(ContentVersion._meta.db_table)} WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else None


@dataclass(frozen=True)
class Packed:
    """A value as the shared cache holds it: pickled and compressed. A timeline page is 90-170 KB
    of HTML at 10,000 briefings and about a tenth of that compressed (0.3 ms), and the database
    cache writes every byte: storing a page took 3.0 ms on PostgreSQL, 1.1 ms packed."""

    data: bytes

    @classmethod
    def of(cls, value):
        return cls(zlib.compress(pickle.dumps(value, pickle.HIGHEST_PROTOCOL), 1))

    def unpack(self):
        return pickle.loads(zlib.decompress(self.data))


class _Layered:
    """The shared cache with this process's copies (CACHES["here"]) in front, for the pages and
    the header lists their keys are learnt from. Every key names its content version (the token
    is its prefix), so a copy is never stale. A copy saves a read of the shared cache and, for a
    page, unpacking it: a repeat request costs the token alone."""

    def get(self, key, default=None):
        here = caches["here"]
        value = here.get(key)
        if value is None:
            value = cache.get(key)
            if value is not None:
                value = value.unpack() if isinstance(value, Packed) else value
                here.set(key, value, TIMEOUT)
        return default if value is None else value

    def set(self, key, value, timeout=TIMEOUT):
        cache.set(key, Packed.of(value), timeout)
        caches["here"].set(key, value, timeout)


_layered = _Layered()


class PageCacheMiddleware:
    """Serves a cached copy of a successful GET response while the content token is unchanged,
    and stores complete 200 responses that set no cookie and are at most MAX_PAGE_BYTES."""

    def __init__(self, get_response):
        self.get_response = get_response

    def process_request(self, request):
        request.page_cache_token = None
        if request.method != "GET" or not transaction.get_autocommit():
            return None
        token = current_token()
        if token is None:  # emptied by flush, and nothing saved since
            return None
        remember_origin(request)
        request.page_cache_token = token

        def stored():
            key = get_cache_key(request, key_prefix=token, method="GET", cache=_layered)
            return _layered.get(key) if key else None

        response, request.page_cache_claim = await_built(_page_claim(request, token), stored)
        if response is not None:
            response[STATE_HEADER] = "hit"  # on this copy only: the stored one is unchanged
        return response

    def process_response(self, request, response):
        token = getattr(request, "page_cache_token", None)
        try:
            if response.status_code != 200 or response.streaming:
                return response
            patch_vary_headers(response, HTMX_HEADERS)
            if token and not response.cookies and len(response.content) <= MAX_PAGE_BYTES:
                key = learn_cache_key(request, response, TIMEOUT, key_prefix=token, cache=_layered)
                _layered.set(key, response, TIMEOUT)
                response[STATE_HEADER] = "miss"
            return response
        finally:
            release(getattr(request, "page_cache_claim", None))

    def process_exception(self, request, exception):
        release(getattr(request, "page_cache_claim", None))


cached_page = decorator_from_middleware(PageCacheMiddleware)


def _page_claim(request, token):
    """The claim on building a page: its address and every header its key varies on."""
    headers = [request.headers.get(name, "") for name in HTMX_HEADERS]
    return _name("page", token, request.build_absolute_uri(), *headers)


def _name(kind, *parts):
    """A short cache name for `parts` (a token, an address, filters…), of the given kind."""
    return f"{kind}:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()


# ------------------------------------------------------------- building once for everyone


def claim(name):
    """True if this caller may build `name` now: no other caller, in any process, claimed it
    in the last CLAIM_SECONDS without releasing it."""
    return cache.add(f"building:{name}", 1, CLAIM_SECONDS)


def release(name):
    if name:
        cache.delete(f"building:{name}")


def await_built(name, find):
    """(value, None) as soon as `find()` returns something; else (None, name) once this caller
    holds the claim on building it, and must build it, store it where `find` looks and
    `release(name)`. While another caller holds the claim, `find` is polled; after BUILD_WAIT
    (a slow or failed build) the caller goes on to build without the claim: (None, None)."""
    deadline = time.monotonic() + BUILD_WAIT
    while True:
        value = find()
        if value is not None:
            return value, None
        if claim(name):
            # Another caller may have built it and released its claim since `find` looked.
            value = find()
            if value is not None:
                release(name)
                return value, None
            return None, name
        if time.monotonic() > deadline:
            return None, None
        time.sleep(POLL_SECONDS)


def built_once(name, find, build):
    """`find()`'s value, or else `build()`'s, which stores it where `find` looks: callers that
    ask at once, in every process, wait for one of them to build it (await_built)."""
    value, claimed = await_built(name, find)
    if value is not None:
        return value
    try:
        return build()
    finally:
        release(claimed)


def reuse(request, parts, compute):
    """`compute()`, kept under the content token the page cache read for `request` and `parts`
    (e.g. an aggregate's name and the filters, not the page), so that every page and fragment
    of the same filters reuses it until the content changes. Computed every time when the
    request has no token (inside a transaction, or before any content)."""
    token = getattr(request, "page_cache_token", None)
    if not token:
        return compute()
    key = _name("reuse", token, *parts)

    def build():
        value = compute()
        cache.set(key, value, TIMEOUT)
        return value

    return built_once(key, lambda: cache.get(key), build)


# ------------------------------------------------------------- replacing the token


class _Replacement(threading.local):
    """Which commit a token replacement belongs to: callbacks registered before the same
    commit share a round, and only the first to run replaces the token."""

    round = 0


_replacement = _Replacement()


class _NewToken:
    def __init__(self):
        self.round = _replacement.round

    def __call__(self):
        if self.round != _replacement.round:
            return  # this commit's token has already been replaced
        _replacement.round += 1
        ContentVersion.objects.update_or_create(pk=1, defaults={"token": uuid.uuid4().hex})
        if settings.PAGE_CACHE_WARM:
            start_warming()


def content_changed(**kwargs):
    """Receiver for every change to what public pages show: a new token once the change is
    committed (at once outside a transaction), so no page cached before it is used again. One
    replacement per commit, however many rows it changes; a rolled-back change replaces nothing."""
    transaction.on_commit(_NewToken())


def connect_signals():
    for model in SHOWN_MODELS:
        post_save.connect(content_changed, sender=model, dispatch_uid=f"pagecache-save-{model.__name__}")
        post_delete.connect(content_changed, sender=model, dispatch_uid=f"pagecache-delete-{model.__name__}")
    for relation in SHOWN_RELATIONS:
        through = relation.through
        m2m_changed.connect(content_changed, sender=through, dispatch_uid=f"pagecache-m2m-{through.__name__}")


# ------------------------------------------------------------- rebuilding the busiest pages

_origins = {}  # the scheme and host public pages were asked for in this process, newest last
MAX_ORIGINS = 3
_warming = threading.Lock()
_again = threading.Event()


def remember_origin(request):
    origin = f"{request.scheme}://{request.get_host()}"
    _origins.pop(origin, None)
    _origins[origin] = True
    while len(_origins) > MAX_ORIGINS:
        _origins.pop(next(iter(_origins)))


def warm_urls():
    """The states most readers ask for: the front page, the explorer, and the timeline of each
    single filter (every threat, country, speaker and kind of briefing), which is where readers
    land from a briefing's tags and a first click in the filter panel."""
    def slugs(model):
        return model.objects.order_by("pk").values_list("slug", flat=True)

    return ["/", "/statistics/", *(f"/?threat={slug}" for slug in slugs(ThreatCategory)),
            *(f"/?country={slug}" for slug in slugs(Country)), *(f"/?speaker={slug}" for slug in slugs(Speaker)),
            *(f"/?kind={kind}" for kind in Speech.Kind.values)]


def warm_pages(origins=None):
    """Build and store the busiest pages for each origin (PAGE_CACHE_WARM_ORIGINS, else those
    this process has served), each as a page and as the filter panel's htmx fragment. Returns
    how many responses were built."""
    from django.test import Client  # a complete request through every middleware, as a reader's

    origins = origins or settings.PAGE_CACHE_WARM_ORIGINS or list(_origins)
    built = 0
    for origin in origins:
        scheme, _sep, host = origin.partition("://")
        client = Client(HTTP_HOST=host, secure=scheme == "https")
        for url in warm_urls():
            for headers in ({}, {"HX-Request": "true"}):
                built += client.get(url, headers=headers).status_code == 200
    return built


def build_indexes():
    """Build the facet and figure indexes of the current content version and leave them in the
    shared cache, where every process looks before building them (facets.Kept). Returns whether
    there was a content version to build them for."""
    from . import facets, figure_facets

    token = current_token()
    if token is None:
        return False
    facets.current(token)
    figure_facets.current(token)
    return True


def start_warming():
    """Rebuild the busiest pages in a background thread: the writer's response does not wait
    for it, and readers find them built. A change while it runs starts one more round."""
    _again.set()
    if not _warming.acquire(blocking=False):
        return

    def run():
        try:
            while _again.is_set():
                _again.clear()
                warm_pages()
        finally:
            connections.close_all()
            _warming.release()
        if _again.is_set():  # a change came between the last round and the release
            start_warming()

    threading.Thread(target=run, name="warm-pages", daemon=True).start()
