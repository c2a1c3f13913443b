"""Response headers Django's SecurityMiddleware does not set."""

# No page here uses the camera, microphone, location, payments or USB: deny them to the page
# and to anything it might embed. Only features every current browser recognises are named,
# so no browser logs an error for the header itself.
PERMISSIONS_POLICY = "camera=(), geolocation=(), microphone=(), payment=(), usb=()"


def security_headers(get_response):
    """Permissions-Policy, and Cross-Origin-Resource-Policy: other sites may link to these
    pages and read the exports through fetch, but not embed our responses as their own
    resources (no-cors loads: images, scripts, frames)."""

    def middleware(request):
        response = get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response

    return middleware
