"""Fill a benchmark database with synthetic briefings, on top of the curated seed.

Benchmarks only: the command refuses to run unless the database's name contains "bench"
(e.g. `DATABASE_URL=sqlite:///benchmarks/bench.sqlite3` or
`postgres://…/threat_briefings_bench`), so it can never mix invented briefings into real
data. It loads the curated fixture first (`seed`: the real speakers, threat categories and
countries), then adds `--briefings N` synthetic ones spread over 1990–2026, each with a
multi-paragraph primary source, about ten published statistics and three published
assessments whose quotes are sentences of that source, and tags.

Rows are written with bulk_create in batches, and the search paragraphs are built the way
`search.index_source` builds them (bulk_create sends no post_save signal), so 10,000
briefings take well under a minute on SQLite and PostgreSQL.
"""

import datetime
import random
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from briefings.models import (
    Assessment,
    Country,
    Source,
    SourceParagraph,
    Speaker,
    Speech,
    Statistic,
    Status,
    ThreatCategory,
    normalise_whitespace,
)
from briefings.pagecache import content_changed
from briefings.passages import paragraph_spans

SLUG_PREFIX = "synthetic-"
BATCH = 500
FIRST_YEAR, LAST_YEAR = 1990, 2026

# Invented Directors General, so that every year has a speaker; the real ones come from the seed.
SPEAKERS = [
    ("synthetic-dg-a", "A. Example", datetime.date(1990, 1, 1), datetime.date(1996, 12, 31)),
    ("synthetic-dg-b", "B. Example", datetime.date(1997, 1, 1), datetime.date(2004, 12, 31)),
    ("synthetic-dg-c", "C. Example", datetime.date(2005, 1, 1), datetime.date(2012, 12, 31)),
    ("andrew-parker", None, datetime.date(2013, 1, 1), datetime.date(2020, 3, 31)),
    ("ken-mccallum", None, datetime.date(2020, 4, 1), datetime.date(LAST_YEAR, 12, 31)),
]

# (measure, unit, smallest, largest, sentence with {v} where the figure stands)
MEASURES = [
    ("late-stage attack plots disrupted", "", 1, 60,
     "Since the last update we and the police have disrupted {v} late-stage attack plots."),
    ("people under investigation", "people", 500, 5000, "Around {v} people are currently under active investigation."),
    ("subjects of interest", "people", 1000, 45000, "We hold information on {v} closed subjects of interest."),
    ("state-backed approaches to staff", "approaches", 10, 20000,
     "Hostile states made {v} approaches to British officials online."),
    ("cyber incidents investigated", "incidents", 20, 900, "Our partners investigated {v} serious cyber incidents this year."),
    ("arrests for terrorism offences", "arrests", 50, 400, "Police made {v} arrests for terrorism-related offences."),
    ("minors investigated", "people", 5, 300, "We investigated {v} people under the age of eighteen."),
    ("threat-to-life plots from Iran", "plots", 1, 30, "We have tracked {v} potential threats to life backed by Iran."),
    ("priority cases", "cases", 10, 800, "There are {v} priority cases on our books today."),
    ("officers recruited", "officers", 100, 1500, "We recruited {v} new officers to meet the demand."),
    ("espionage investigations opened", "investigations", 5, 200, "The number of espionage investigations opened rose to {v}."),
    ("foreign interference cases", "cases", 3, 150, "We opened {v} foreign interference cases against political targets."),
    ("attacks since 2017", "attacks", 1, 40, "There have been {v} attacks on British soil since 2017."),
    ("referrals to Prevent", "referrals", 1000, 9000, "Agencies made {v} referrals to the Prevent programme."),
    ("online radicalisation cases", "cases", 10, 600, "Some {v} cases began with radicalisation online."),
    ("Northern Ireland attacks", "attacks", 0, 30, "Dissident groups mounted {v} national security attacks in Northern Ireland."),
    ("sanctioned individuals", "people", 1, 400, "The government sanctioned {v} individuals on our advice."),
    ("expelled intelligence officers", "officers", 1, 50, "The United Kingdom expelled {v} undeclared intelligence officers."),
]

TRENDS = {
    Assessment.Trend.RISING: "is growing, and growing fast",
    Assessment.Trend.STEADY: "remains broadly unchanged",
    Assessment.Trend.FALLING: "has fallen since our last assessment",
}
JUDGEMENTS = [
    "The threat from {threat} {trend} in {year}.",
    "Our judgement is that {threat} {trend}, and that it will stay with us.",
    "Taken together, the picture on {threat} {trend}.",
]

FILLER = [
    "This is my annual opportunity to set out the threats we face.",
    "Encryption and end-to-end messaging make the work harder every year.",
    "We work hand in glove with the police and our partners overseas.",
    "The threat picture is complex, diverse and dynamic.",
    "Russia, China and Iran are behind much of the state activity we see.",
    "Terrorist propaganda moves fast across social media platforms.",
    "Much of what we do cannot be talked about in public.",
    "Volunteers, families and communities help keep the country safe.",
    "Our officers come from every part of the United Kingdom.",
    "Technology is changing how threats reach people and how we respond.",
    "The lessons of earlier attacks inform every investigation we run.",
    "Universities, businesses and laboratories hold research that states want to steal.",
    "The internet lets a lone individual move from interest to action in weeks.",
    "We remain alert to the risk posed by returning foreign fighters from Syria and Iraq.",
]

KINDS = [Speech.Kind.SPEECH, Speech.Kind.ANNUAL_THREAT_UPDATE, Speech.Kind.INTERVIEW, Speech.Kind.VIDEO,
         Speech.Kind.ARTICLE]


def is_benchmark_database(settings_dict):
    return "bench" in str(settings_dict.get("NAME") or "").lower()


def _format(value):
    return f"{value:,}"


class Command(BaseCommand):
    help = (
        "Benchmarks only: load the curated seed, then add N synthetic briefings with sources, "
        "statistics, assessments and search paragraphs. Refuses unless the database name contains 'bench'."
    )

    def add_arguments(self, parser):
        parser.add_argument("--briefings", type=int, required=True, help="How many synthetic briefings to add.")
        parser.add_argument("--random-seed", type=int, default=2024, help="The same seed gives the same corpus.")
        parser.add_argument("--dry-run", action="store_true", help="Build everything, then roll it back.")

    def handle(self, *args, briefings, random_seed, dry_run, verbosity, **options):
        name = connection.settings_dict.get("NAME")
        if not is_benchmark_database(connection.settings_dict):
            raise CommandError(
                f"Refusing to add synthetic briefings to the database {name!r}: its name does not contain "
                "'bench'. Synthetic data belongs only in a benchmark database, e.g. "
                "DATABASE_URL=sqlite:///benchmarks/bench.sqlite3 or postgres://…/threat_briefings_bench."
            )
        if briefings < 0:
            raise CommandError("--briefings must be 0 or more.")
        started = time.perf_counter()
        with transaction.atomic():
            call_command("seed", verbosity=0)
            created = Generator(random.Random(random_seed)).generate(briefings)
            content_changed()  # bulk_create sends no signal for the page cache
            if dry_run:
                transaction.set_rollback(True)
        if not dry_run:
            # Fresh planner statistics after a bulk load, as after any large import: without them
            # SQLite picks the (status, measure) index for "published statistics of these briefings".
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        if verbosity:
            counts = ", ".join(f"{n} {label}" for label, n in created.items())
            verb = "Would add" if dry_run else "Added"
            self.stdout.write(self.style.SUCCESS(
                f"{verb} {counts} to {name} in {time.perf_counter() - started:.1f}s."
            ))


class Generator:
    def __init__(self, rng):
        self.rng = rng
        self.categories = list(ThreatCategory.objects.order_by("position", "name"))
        self.countries = list(Country.objects.order_by("name"))
        self.speakers = self._speakers()
        self.counts = dict.fromkeys(
            ["briefings", "sources", "paragraphs", "statistics", "assessments"], 0
        )

    def _speakers(self):
        """(speaker, tenure start, tenure end), invented ones created when missing."""
        found = []
        for slug, name, start, end in SPEAKERS:
            if name is None:
                speaker = Speaker.objects.get(slug=slug)
            else:
                speaker, _ = Speaker.objects.get_or_create(
                    slug=slug,
                    defaults={"name": name, "role": "Director General of MI5 (synthetic)", "tenure_start": start,
                              "tenure_end": end, "tenure_note": "Invented for benchmarks."},
                )
            found.append((speaker, start, end))
        return found

    def generate(self, n):
        first = Speech.objects.filter(slug__startswith=SLUG_PREFIX).count()
        for batch_start in range(first, first + n, BATCH):
            self._batch(range(batch_start, min(batch_start + BATCH, first + n)))
        return self.counts

    def _date(self):
        if self.rng.random() < 0.01:
            return None
        first = datetime.date(FIRST_YEAR, 1, 1).toordinal()
        last = datetime.date(LAST_YEAR, 12, 31).toordinal()
        return datetime.date.fromordinal(self.rng.randint(first, last))

    def _speaker(self, date):
        if date is None:
            return self.rng.choice(self.speakers)[0]
        return next(speaker for speaker, start, end in self.speakers if start <= date <= end)

    def _batch(self, numbers):
        rng = self.rng
        plans = []
        for number in numbers:
            date = self._date()
            inferred = date is not None and rng.random() < 0.1
            kind = rng.choice(KINDS)
            threats = rng.sample(self.categories, rng.randint(1, 3))
            countries = rng.sample(self.countries, rng.randint(0, 3))
            speech = Speech(
                slug=f"{SLUG_PREFIX}{number}",
                title=f"{kind.label} {date:%B %Y} ({number})" if date else f"Undated {kind.label.lower()} ({number})",
                date=date,
                date_inferred=inferred,
                date_basis="Inferred from the publication date (synthetic)." if inferred else "Synthetic.",
                kind=kind,
                speaker=self._speaker(date),
                venue="Synthetic venue",
                summary=f"A synthetic briefing on {', '.join(t.name.lower() for t in threats)}.",
                status=Status.PUBLISHED,
            )
            plans.append(self._plan(speech, threats, countries))

        Speech.objects.bulk_create([plan["speech"] for plan in plans])
        for plan in plans:
            plan["source"].speech = plan["speech"]
        Source.objects.bulk_create([plan["source"] for plan in plans])
        paragraphs, statistics, assessments = [], [], []
        threat_links, country_links = [], []
        for plan in plans:
            speech, source = plan["speech"], plan["source"]
            threat_links += [Speech.threats.through(speech=speech, threatcategory=t) for t in plan["threats"]]
            country_links += [Speech.countries.through(speech=speech, country=c) for c in plan["countries"]]
            # What search.index_source stores for a saved source.
            paragraphs += [
                SourceParagraph(source=source, speech=speech, number=number,
                                text=normalise_whitespace(source.text[start:end]))
                for number, (start, end) in enumerate(paragraph_spans(source.text), start=1)
            ]
            for item in plan["statistics"] + plan["assessments"]:
                item.speech, item.source = speech, source
            statistics += plan["statistics"]
            assessments += plan["assessments"]
        Speech.threats.through.objects.bulk_create(threat_links, batch_size=2000)
        Speech.countries.through.objects.bulk_create(country_links, batch_size=2000)
        SourceParagraph.objects.bulk_create(paragraphs, batch_size=2000)
        Statistic.objects.bulk_create(statistics, batch_size=2000)
        Assessment.objects.bulk_create(assessments, batch_size=2000)
        Statistic.countries.through.objects.bulk_create(
            [Statistic.countries.through(statistic=s, country=c) for s in statistics for c in s.planned_countries],
            batch_size=2000,
        )
        Assessment.countries.through.objects.bulk_create(
            [Assessment.countries.through(assessment=a, country=c) for a in assessments for c in a.planned_countries],
            batch_size=2000,
        )
        self.counts["briefings"] += len(plans)
        self.counts["sources"] += len(plans)
        self.counts["paragraphs"] += len(paragraphs)
        self.counts["statistics"] += len(statistics)
        self.counts["assessments"] += len(assessments)

    def _plan(self, speech, threats, countries):
        """The speech's source text, and statistics and assessments quoting its sentences."""
        rng = self.rng
        year = speech.date.year if speech.date else "recent years"
        statistics, assessments, quotes = [], [], []
        for measure, unit, low, high, sentence in rng.sample(MEASURES, 10):
            value = rng.randint(low, high)
            quote = sentence.format(v=_format(value))
            statistic = Statistic(
                measure=measure, value=value, value_text=_format(value), unit=unit,
                period=f"in {year}" if speech.date else "", threat=rng.choice(threats),
                quote=quote, status=Status.PUBLISHED,
            )
            statistic.planned_countries = rng.sample(countries, min(len(countries), rng.randint(0, 2)))
            statistics.append(statistic)
            quotes.append(quote)
        for index, template in enumerate(JUDGEMENTS):
            threat = threats[index % len(threats)]
            trend = rng.choice(list(TRENDS))
            quote = template.format(threat=threat.name.lower(), trend=TRENDS[trend], year=year)
            assessment = Assessment(
                threat=threat, trend=trend, quote=quote, status=Status.PUBLISHED,
                summary=f"{threat.name}: {trend.label.lower()}.",
            )
            assessment.planned_countries = rng.sample(countries, min(len(countries), 1))
            assessments.append(assessment)
            quotes.append(quote)
        rng.shuffle(quotes)
        # Eight paragraphs, each a few filler sentences around one or two of the quoted ones.
        paragraphs = []
        for chunk in range(8):
            sentences = rng.sample(FILLER, 3) + quotes[chunk * 2:chunk * 2 + 2]
            rng.shuffle(sentences)
            paragraphs.append(" ".join(sentences))
        source = Source(
            slug=speech.slug, publisher="MI5 (synthetic)", language="en", role=Source.Role.PRIMARY,
            document="synthetic", text="\n\n".join(paragraphs),
        )
        return {"speech": speech, "source": source, "threats": threats, "countries": countries,
                "statistics": statistics, "assessments": assessments}
