import os
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, settings

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_CANDIDATES = ["/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser"]


def chromium_path():
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        return configured if Path(configured).exists() else None
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


def pytest_collection_modifyitems(config, items):
    browser_items = [item for item in items if "browser" in item.keywords]
    if not browser_items or chromium_path():
        return
    message = (
        "Chromium not found (looked at CHROMIUM_PATH and " + ", ".join(CHROMIUM_CANDIDATES) + "); "
        "install it with: apt-get install -y --no-install-recommends chromium fonts-dejavu-core"
    )
    if os.environ.get("REQUIRE_BROWSER") or os.environ.get("CI"):
        raise pytest.UsageError(f"Browser tests are required here but cannot run: {message}")
    config.issue_config_time_warning(pytest.PytestWarning(f"{len(browser_items)} browser tests skipped: {message}"), 2)
    for item in browser_items:
        item.add_marker(pytest.mark.skip(reason=message))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, browser_name):
    if browser_name != "chromium":
        return browser_type_launch_args
    args = dict(browser_type_launch_args)
    args.pop("channel", None)
    args["executable_path"] = chromium_path()
    args["headless"] = True
    args["args"] = [
        *args.get("args", []),
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    return args


@pytest.fixture
def seeded(db):
    """The curated briefings, loaded as `manage.py seed` loads them."""
    call_command("seed", verbosity=0)


# Property tests (hypothesis): a moderate number of examples per test by default so the suite
# stays quick; HYPOTHESIS_PROFILE=thorough explores much further. The `db` fixture is
# function-scoped and shared by a test's examples, which is what these read-only tests want.
settings.register_profile(
    "suite",
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile("thorough", parent=settings.get_profile("suite"), max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))


@pytest.fixture(autouse=True)
def _no_page_warming(settings):
    """Pages are rebuilt after a change in a background thread; tests that want it call
    `pagecache.warm_pages()` themselves, so no thread outlives its test."""
    settings.PAGE_CACHE_WARM = False


@pytest.fixture
def kept_indexes(monkeypatch):
    """The facet and figure indexes built once, as a server process keeps them between requests
    while the content does not change (facets.current, figure_facets.current); call it after
    creating the data. Returns the facet index."""
    from briefings import facets, figure_facets

    def keep():
        index, figures = facets.build(), figure_facets.build()
        monkeypatch.setattr(facets, "current", lambda token: index)
        monkeypatch.setattr(figure_facets, "current", lambda token: figures)
        return index

    return keep
