from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save


class BriefingsConfig(AppConfig):
    name = "briefings"
    verbose_name = "Threat briefings"

    def ready(self):
        from . import pagecache, search
        from .models import Source

        post_save.connect(_index_saved_source, sender=Source, dispatch_uid="index_saved_source")
        post_migrate.connect(search.install_sqlite_indexes, sender=self, dispatch_uid="install_sqlite_indexes")
        pagecache.connect_signals()


def _index_saved_source(sender, instance, **kwargs):
    # Also on fixture loads (raw saves): the seeded sources must be searchable too.
    from .search import index_source

    index_source(instance)
