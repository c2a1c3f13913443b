from django.conf import settings
from django.core.cache import caches
from django.core.management.base import BaseCommand

from briefings import pagecache


class Command(BaseCommand):
    help = (
        "Build the facet and figure indexes of the current content version into the shared cache, and the "
        "busiest pages for PAGE_CACHE_WARM_ORIGINS if set, so that the first readers after a server starts do "
        "not wait for them (`make serve-prod` runs it with --clear before starting gunicorn). After a content "
        "change a running server rebuilds them itself."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clear", action="store_true",
                            help="Empty the cache first, so that a new release never serves the previous one's pages.")

    def handle(self, *args, clear=False, **options):
        if clear:
            caches["default"].clear()
        if not pagecache.build_indexes():
            self.stdout.write("No content yet: nothing to build.")
            return
        origins = settings.PAGE_CACHE_WARM_ORIGINS  # the process has served no one to learn others from
        pages = pagecache.warm_pages(origins) if origins else 0
        self.stdout.write(f"Built the facet and figure indexes and {pages} page{'s' if pages != 1 else ''}.")
