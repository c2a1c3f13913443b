"""What load balancers and uptime checks poll, over plain HTTP even when the site redirects to
HTTPS (settings.SECURE_REDIRECT_EXEMPT): no template, no session.

- /healthz: the process answers. A constant, touching nothing, so it also measures the server and
  middleware alone (the benchmarks' floor).
- /readyz: the process can serve pages, which needs the database: 503 when it cannot be reached,
  so a load balancer stops sending traffic here instead of sending it to a 500 on every page.
"""

from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

TEXT = "text/plain; charset=utf-8"


@require_safe  # HEAD too: uptime checks often send it
def healthz(request):
    return HttpResponse("ok", content_type=TEXT)


@never_cache
@require_safe
def readyz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return HttpResponse("database unreachable", status=503, content_type=TEXT)
    return HttpResponse("ok", content_type=TEXT)
