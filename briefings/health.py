"""A constant answer for load balancers and uptime checks: no database, no template,
no session, so it measures the server and middleware alone."""

from django.http import HttpResponse
from django.views.decorators.http import require_safe


@require_safe  # HEAD too: uptime checks often send it
def healthz(request):
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")
