"""Benchmarks: how each page's server time and queries change with the number of briefings.

For SQLite (benchmarks/bench.sqlite3) and PostgreSQL (database threat_briefings_bench, created
and dropped here), for the curated seed alone and with 1,000 and 10,000 synthetic briefings
(`manage.py generate_synthetic`), each page is requested through Django's test Client in a
process of its own: WARMUP requests, then REPEAT timed ones (fewer for the CSV, which streams
every row), first cold (the page cache emptied before each, so the view builds the page) and
then warm (served from the page cache, as repeat requests are until the content changes).
Server time is the whole request through the middleware, view and template, including reading
a streamed body; no network. Queries are counted in one more request.

Each time is also shown as a ratio to /healthz measured in the same process (machines here
are shared and noisy, so ratios measured together mean more than milliseconds) and to the
same page on the seed data. Targets: queries do not grow with N; at 10,000 briefings every
page within 2x of its seed-data time and within 10x of the floor.

    make bench                         # or: .venv/bin/python benchmarks/run.py
    BENCH_SIZES=0,1000 make bench      # fewer sizes
    BENCH_BACKENDS=sqlite make bench   # one database
    BENCH_PAGES=search,statistics make bench   # only the pages whose label contains one of these

    # Time the pages of an existing database, without building one:
    DATABASE_URL=... .venv/bin/python benchmarks/run.py --measure
"""

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQLITE_PATH = ROOT / "benchmarks" / "bench.sqlite3"
POSTGRES_SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
POSTGRES_DATABASE = os.environ.get("BENCH_POSTGRES_DATABASE", "threat_briefings_bench")
SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "0,10000").split(",")]
BACKENDS = os.environ.get("BENCH_BACKENDS", "sqlite,postgresql").split(",")
WARMUP, REPEAT, REPEAT_SLOW = 3, 15, 5

PAGES = [
    ("floor /healthz", "/healthz", {}),
    ("timeline /", "/", {}),
    ("timeline /?page=2", "/?page=2", {}),
    ("timeline, threat + country", "/?threat=terrorism&country=iran", {}),
    ("same, htmx fragment", "/?threat=terrorism&country=iran", {"HX-Request": "true"}),
    ("briefing page", "/briefings/annual-threat-update-2024/", {}),
    ("search /?q=encryption", "/?q=encryption", {}),
    ("explorer /statistics/", "/statistics/", {}),
    ("/api/statistics.json", "/api/statistics.json", {}),
    ("/api/briefings.json", "/api/briefings.json", {}),
    ("/statistics.csv (streamed, all rows)", "/statistics.csv", {}),
]
SLOW = {"/statistics.csv"}
# The floor (/healthz) is always measured: the ratios need it.
_CHOSEN = [part for part in os.environ.get("BENCH_PAGES", "").split(",") if part]
if _CHOSEN:
    PAGES = PAGES[:1] + [page for page in PAGES[1:] if any(part in page[0] for part in _CHOSEN)]


def measure():
    """In a child process whose DATABASE_URL is the benchmark database: time every page, cold
    (the page cache emptied before each request, so the view builds the page) and warm (served
    from the page cache, as a repeat request is until the content changes)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "briefings.settings")
    import django

    django.setup()
    from django.core.cache import caches
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()

    def empty_caches():  # the shared cache and this process's copies of its pages
        for cache in caches.all():
            cache.clear()

    def fetch(url, headers, cold):
        if cold:
            empty_caches()
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        body = response.getvalue()
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, (url, response.status_code)
        return elapsed, body

    def timed(url, headers, cold):
        for _ in range(WARMUP):
            fetch(url, headers, cold)
        times = sorted(fetch(url, headers, cold)[0] for _ in range(REPEAT_SLOW if url in SLOW else REPEAT))
        if cold:
            empty_caches()
        with CaptureQueriesContext(connection) as queries:
            _elapsed, body = fetch(url, headers, cold=False)
        return {
            "median": statistics.median(times) * 1000,
            "p95": times[min(len(times) - 1, round(0.95 * (len(times) - 1)))] * 1000,
            "queries": len(queries.captured_queries),
            "bytes": len(body),
        }

    from briefings import facets, figure_facets

    results = []
    for label, build, queries in [("facet index build (once per content change)", facets.build, 10),
                                  ("figure index build (once per content change)", figure_facets.build, 2)]:
        builds = []
        for _ in range(3):
            started = time.perf_counter()
            build()
            builds.append((time.perf_counter() - started) * 1000)
        results.append({"label": label, "warm": None,
                        "cold": {"median": statistics.median(builds), "p95": max(builds), "queries": queries,
                                 "bytes": 0}})
    for label, url, headers in PAGES:
        # The CSV streams and is never cached, and /healthz is not cached either: one timing each.
        cached = url not in SLOW and url != "/healthz"
        results.append({"label": label, "cold": timed(url, headers, cold=True),
                        "warm": timed(url, headers, cold=False) if cached else None})
    print(json.dumps(results))


MIX_REQUESTS = int(os.environ.get("BENCH_MIX_REQUESTS", "2000"))
MIX_WORKERS = 2
MIX_THREADS = 4  # gunicorn's threaded workers, as `make serve-prod` runs them
# The mix is run this many times and the run of median throughput reported, with the range:
# on these shared machines one run can differ from the next by 2x.
MIX_RUNS = int(os.environ.get("BENCH_MIX_RUNS", "3"))
MIX_CONNECTIONS = 4
MIX_PORT = int(os.environ.get("BENCH_MIX_PORT", "8150"))
SEARCH_WORDS = ["encryption", "iran", "plots", "russia", "espionage", "cyber", "terrorism", "china", "online",
                "radicalisation", "sabotage", "insider", "drones", "students", "universities", "ransomware",
                "extremism", "north korea", "security", "threat"]


def mix_urls():
    """About 300 addresses readers ask for, in a shuffled but fixed order: the front page, single
    filters, pairs, year ranges, searches and later pages. Run inside the benchmark database."""
    import random

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "briefings.settings")
    import django

    django.setup()
    from briefings.models import Country, Speaker, Speech, ThreatCategory

    threats = list(ThreatCategory.objects.values_list("slug", flat=True))
    countries = list(Country.objects.values_list("slug", flat=True))
    speakers = list(Speaker.objects.values_list("slug", flat=True))
    rng = random.Random(15)
    singles = (["/", "/statistics/"] + [f"/?threat={t}" for t in threats] + [f"/?country={c}" for c in countries]
               + [f"/?speaker={s}" for s in speakers] + [f"/?kind={k}" for k in Speech.Kind.values])
    pairs = [f"/?threat={rng.choice(threats)}&country={rng.choice(countries)}" for _ in range(100)]
    pairs += [f"/?threat={rng.choice(threats)}&kind={rng.choice(Speech.Kind.values)}" for _ in range(40)]
    years = [f"/?from={y}&to={y + rng.randint(0, 6)}" for y in range(1990, 2026)]
    searches = [f"/?q={word.replace(' ', '+')}" for word in SEARCH_WORDS]
    later = [f"{url}{'&' if '?' in url else '?'}page={n}" for url in rng.sample(singles, min(35, len(singles))) for n in (2, 3)]
    urls = list(dict.fromkeys(singles + pairs + years + searches + later))
    rng.shuffle(urls)
    print("\n".join(urls))


def mix(env):
    """The realistic mix: gunicorn with MIX_WORKERS workers on 127.0.0.1, started as `make
    serve-prod` starts it (the page cache emptied, the indexes and busiest pages built; with
    BENCH_MIX_WARM=0 the indexes only), then MIX_REQUESTS
    requests from wrk over about 300 addresses (MIX_CONNECTIONS at a time).
    Returns wrk's summary (requests/s, latency percentiles, cache hits and misses)."""
    import tempfile
    import urllib.request

    urls = subprocess.run([sys.executable, __file__, "--mix-urls"], env=env, cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout.split()
    python = sys.executable
    # As `make serve-prod` starts a server with its address in PAGE_CACHE_WARM_ORIGINS: the cache
    # emptied, the indexes and the busiest pages (the front page, the explorer, every single
    # filter) built before the first request.
    origin = f"http://127.0.0.1:{MIX_PORT}" if os.environ.get("BENCH_MIX_WARM", "1") == "1" else ""
    run([python, "manage.py", "warm_cache", "--clear"], {**env, "PAGE_CACHE_WARM_ORIGINS": origin})
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
        listing.write("\n".join(urls) + "\n")
    server_env = {**env, "PAGE_CACHE_WARM": "0"}
    # Threaded workers: a sync worker blocks on a connection wrk opened but never used (when a wrk
    # thread stops at its share of requests) until gunicorn's 30 s timeout kills it, which
    # measured the timeout, not the site.
    server = subprocess.Popen([str(Path(python).parent / "gunicorn"), "briefings.wsgi", "--bind", f"127.0.0.1:{MIX_PORT}",
                               "--workers", str(MIX_WORKERS), "--threads", str(MIX_THREADS), "--log-level", "warning"],
                              env=server_env, cwd=ROOT)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{MIX_PORT}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        wrk_env = {**env, "BENCH_MIX_URLS": listing.name, "BENCH_MIX_REQUESTS": str(MIX_REQUESTS),
                   "BENCH_MIX_THREADS": "2"}
        output = subprocess.run(
            ["wrk", "-t2", f"-c{MIX_CONNECTIONS}", "-d60s", "--timeout", "30s", "-s", str(ROOT / "benchmarks" / "mix.lua"),
             f"http://127.0.0.1:{MIX_PORT}"], env=wrk_env, check=True, capture_output=True, text=True).stdout
    finally:
        server.terminate()
        server.wait(timeout=30)
        os.unlink(listing.name)
    result = json.loads(next(line for line in output.splitlines() if line.startswith("{")))
    return {**result, "urls": len(urls)}


def wrk_found():
    import shutil

    if shutil.which("wrk"):
        return True
    print("== wrk is not installed (Debian: apt-get install wrk): the realistic mix is skipped", file=sys.stderr)
    return False


def run(command, env):
    subprocess.run(command, env=env, cwd=ROOT, check=True)


def postgres(sql):
    import psycopg

    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as connection:
        connection.execute(sql)


def prepare(backend, size):
    """A fresh benchmark database with the seed and `size` synthetic briefings; its environment."""
    env = {**os.environ, "DEBUG": "0", "DJANGO_ENV": "development", "CONN_MAX_AGE": "600"}
    if backend == "sqlite":
        for path in SQLITE_PATH.parent.glob(SQLITE_PATH.name + "*"):
            path.unlink()
        env["DATABASE_URL"] = f"sqlite:///{SQLITE_PATH}"
    else:
        postgres(f"DROP DATABASE IF EXISTS {POSTGRES_DATABASE}")
        postgres(f"CREATE DATABASE {POSTGRES_DATABASE}")
        env["DATABASE_URL"] = f"{POSTGRES_SERVER}/{POSTGRES_DATABASE}"
    python = sys.executable
    run([python, "manage.py", "migrate", "--noinput", "-v0"], env)
    run([python, "manage.py", "createcachetable"], env)
    started = time.perf_counter()
    run([python, "manage.py", "generate_synthetic", "--briefings", str(size), "-v0"], env)
    return env, time.perf_counter() - started


def main():
    rows, notes, mixes = [], [], []
    for backend in BACKENDS:
        seed_times = {}
        for size in SIZES:
            env, built = prepare(backend, size)
            if size == max(SIZES) and size and os.environ.get("BENCH_MIX", "1") == "1" and wrk_found():
                print(f"== {backend}, realistic mix through gunicorn ({MIX_RUNS} runs)", file=sys.stderr)
                runs = sorted((mix(env) for _ in range(MIX_RUNS)), key=lambda m: m["requests"] / m["seconds"])
                mixes.append((backend, size, {**runs[len(runs) // 2], "runs": runs}))
            notes.append(f"{backend}: seed + {size:,} synthetic briefings generated in {built:.1f}s")
            print(f"== {backend}, seed + {size:,} synthetic briefings (built in {built:.1f}s)", file=sys.stderr)
            output = subprocess.run([sys.executable, __file__, "--measure"], env=env, cwd=ROOT, check=True,
                                    capture_output=True, text=True).stdout
            results = json.loads(output.strip().splitlines()[-1])
            floor = next(r for r in results if r["label"].startswith("floor"))["cold"]["median"]
            for result in results:
                for state in ("cold", "warm"):
                    if result[state]:
                        seed_times.setdefault((result["label"], state), result[state]["median"])
                rows.append((backend, size, result, floor, seed_times))
        if backend == "postgresql":
            postgres(f"DROP DATABASE IF EXISTS {POSTGRES_DATABASE}")

    print("Cold: the page cache emptied before each request, so the view builds the page. Warm: a repeat")
    print("request, served from the page cache until the content changes. Ratios: × the floor (/healthz,")
    print("same run) and × the same page on the seed data.")
    print()
    print("| database | synthetic briefings | page | cold median ms | cold p95 ms | queries | × floor | × seed "
          "| warm median ms | warm p95 ms | queries | × floor | × seed |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for backend, size, result, floor, seed_times in rows:
        cells = []
        for state in ("cold", "warm"):
            timing = result[state]
            if timing is None:
                cells.append("— | — | — | — | —")
                continue
            to_seed = timing["median"] / seed_times[(result["label"], state)]
            cells.append(f"{timing['median']:.1f} | {timing['p95']:.1f} | {timing['queries']} "
                         f"| {timing['median'] / floor:.0f} | {to_seed:.1f}")
        print(f"| {backend} | {size:,} | {result['label']} | {' | '.join(cells)} |")
    print()
    for note in notes:
        print(f"- {note}")
    if mixes:
        print()
        print(f"Realistic mix: {MIX_REQUESTS:,} requests over about 300 addresses, starting with an empty page "
              "cache, then the indexes and the busiest pages built (the front page, the explorer, every single "
              "filter: as `make serve-prod` starts with PAGE_CACHE_WARM_ORIGINS set), gunicorn with "
              f"{MIX_WORKERS} workers of {MIX_THREADS} threads, wrk with {MIX_CONNECTIONS} connections, on 127.0.0.1.")
        print()
        print("Requests/s: the requests divided by the seconds from the first request to the last "
              "response (timed in mix.lua; wrk's own figure divides by its whole -d duration).")
        print()
        print(f"Each mix ran {MIX_RUNS} times: the run of median throughput, and the range over the runs.")
        print()
        print("| database | synthetic briefings | addresses | requests/s | range | mean ms | p50 ms | p95 ms "
              "| p95 range | p99 ms | hit rate | non-200 |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for backend, size, m in mixes:
            rate = m["hits"] / max(1, m["hits"] + m["misses"])
            throughputs = [run["requests"] / run["seconds"] for run in m["runs"]]
            p95s = [run["p95_ms"] for run in m["runs"]]
            print(f"| {backend} | {size:,} | {m['urls']} | {m['requests'] / m['seconds']:.0f} "
                  f"| {min(throughputs):.0f}–{max(throughputs):.0f} | {m['mean_ms']:.1f} | {m['p50_ms']:.0f} "
                  f"| {m['p95_ms']:.0f} | {min(p95s):.0f}–{max(p95s):.0f} | {m['p99_ms']:.0f} | {rate:.0%} "
                  f"| {sum(run['non_200'] for run in m['runs'])} |")


if __name__ == "__main__":
    if "--measure" in sys.argv:
        measure()
    elif "--mix-urls" in sys.argv:
        mix_urls()
    else:
        main()
