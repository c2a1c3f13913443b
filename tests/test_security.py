"""Production settings, security headers, the Content-Security-Policy and admin login throttling.

Production settings are read once, when `briefings.settings` is imported, so the tests
that need DJANGO_ENV=production run `manage.py` in a fresh process with that environment.
"""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt

BASE_DIR = Path(__file__).resolve().parent.parent
TEMPLATE_DIRS = [BASE_DIR / "templates"]
ADMIN_LOGIN = "/admin/login/?next=/admin/"


def manage(*args, env=None, tmp_path=None):
    environment = {
        key: value
        for key, value in os.environ.items()
        # The test run's own settings, and DJANGO_ALLOW_ASYNC_UNSAFE (which the deployment check rejects).
        if key not in {"DJANGO_ENV", "SECRET_KEY", "ALLOWED_HOSTS", "SECURE_SSL_REDIRECT", "DATABASE_URL",
                       "DJANGO_ALLOW_ASYNC_UNSAFE", "DEBUG"}
    }
    environment["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=environment, capture_output=True, text=True, timeout=120
    )


def production_env(**overrides):
    env = {"DJANGO_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "example.org"}
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_its_secrets(missing, tmp_path):
    result = manage("check", env=production_env(**{missing: None}), tmp_path=tmp_path)
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {missing} must be set when DJANGO_ENV=production." in result.stderr


def test_production_passes_the_deployment_checklist(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


PRODUCTION_RESPONSES = """
import json
from django.conf import settings
from django.test import Client, override_settings
client = Client(HTTP_HOST="example.org")
plain = client.get("/statistics/")
probe = client.get("/healthz")
secure = client.get("/healthz", secure=True)
# The admin's stylesheets need collectstatic's manifest, which this test does not build.
storages = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
with override_settings(STORAGES=storages):
    login = client.get("/admin/login/", secure=True)
print(json.dumps({
    "debug": settings.DEBUG,
    "plain": [plain.status_code, plain.get("Location", "")],
    "probe": probe.status_code,
    "headers": dict(secure.headers),
    "csrf_cookie": {key: str(value) for key, value in login.cookies["csrftoken"].items()},
}))
"""


def test_production_responses_are_https_only_with_security_headers(tmp_path):
    result = manage("shell", "-c", PRODUCTION_RESPONSES, env=production_env(), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["debug"] is False
    assert seen["plain"] == [301, "https://example.org/statistics/"]
    assert seen["probe"] == 200  # load balancers probe over plain HTTP (SECURE_REDIRECT_EXEMPT)
    headers = seen["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert seen["csrf_cookie"]["secure"] == "True"
    assert seen["csrf_cookie"]["httponly"] == "True"


def directives(response):
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("url", ["/", "/statistics/", "/healthz", "/no-such-page/", ADMIN_LOGIN])
def test_every_response_carries_a_strict_policy(client, db, url):
    policy = directives(client.get(url))
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert not any(value.startswith("'unsafe-") for values in policy.values() for value in values)


INLINE_CODE = [
    ("an inline <script>", re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)),
    ("a <style> element", re.compile(r"<style\b", re.IGNORECASE)),
    ("a style attribute", re.compile(r"\sstyle\s*=", re.IGNORECASE)),
    ("an on* event handler", re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)),
]


def test_no_template_has_inline_script_or_style():
    """The policy forbids them, so a template that has one shows a broken page (the
    browser test finds the pages it visits; this finds every template)."""
    found = []
    for directory in TEMPLATE_DIRS:
        for template in sorted(directory.rglob("*.html")):
            text = template.read_text()
            found += [f"{template.relative_to(BASE_DIR)}: {what}" for what, pattern in INLINE_CODE if pattern.search(text)]
    assert found == []


# Admin login throttling (django-axes).

PASSWORD = "a-long-and-correct-password"


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser("curator", "curator@example.org", PASSWORD)


def log_in(client, password, username="curator"):
    return client.post(ADMIN_LOGIN, {"username": username, "password": password})


def is_logged_in(client):
    return client.get("/admin/").status_code == 200


def test_five_failed_logins_lock_the_account_even_against_the_right_password(client, admin_user):
    for _ in range(4):
        response = log_in(client, "wrong")
        assert response.status_code == 200  # the login form again, with its error
    response = log_in(client, "wrong")
    assert response.status_code == 429
    assert "Too many failed logins" in response.text

    response = log_in(client, PASSWORD)
    assert response.status_code == 429
    assert "locked for 60 minutes" in response.text
    assert not is_logged_in(client)
    # The lockout page is a normal page of the site: the same strict policy applies.
    assert directives(response)["style-src"] == ["'self'"]


def test_the_lockout_is_per_username(client, admin_user, django_user_model):
    django_user_model.objects.create_superuser("colleague", "colleague@example.org", PASSWORD)
    for _ in range(5):
        log_in(client, "wrong")
    assert log_in(client, PASSWORD, username="colleague").status_code == 302
    assert is_logged_in(client)


def test_a_successful_login_resets_the_count(client, admin_user):
    for _ in range(4):
        log_in(client, "wrong")
    assert log_in(client, PASSWORD).status_code == 302
    assert not AccessAttempt.objects.exists()
    client.logout()
    for _ in range(4):
        log_in(client, "wrong")
    assert log_in(client, PASSWORD).status_code == 302
    assert is_logged_in(client)


PUBLIC_PAGES = ["/", "/?threat=terrorism", "/statistics/", "/briefings/annual-threat-update-2021/", "/api/statistics.json",
                "/api/briefings.json", "/statistics.csv", "/feed/", "/healthz"]


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_head_is_answered_like_get_without_a_body(client, seeded, url):
    """Uptime checks and link checkers send HEAD; it used to be a 405 on every page but /healthz."""
    get, head = client.get(url), client.head(url)
    assert head.status_code == get.status_code == 200
    assert head["Content-Type"] == get["Content-Type"]
    assert (head.getvalue() if head.streaming else head.content) == b""


@pytest.mark.parametrize("url", [*PUBLIC_PAGES, "/no-such-page/", ADMIN_LOGIN])
def test_every_response_says_which_features_and_origins_it_allows(client, seeded, url):
    response = client.get(url)
    assert response["Permissions-Policy"] == "camera=(), geolocation=(), microphone=(), payment=(), usb=()"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
