"""Small factories: each fills sensible defaults so a test names only what it is about."""

import datetime
import itertools

from briefings.models import Assessment, Country, Source, Speaker, Speech, Statistic, Status, ThreatCategory

_counter = itertools.count(1)


def _n():
    return next(_counter)


def make_speaker(**fields):
    n = _n()
    fields.setdefault("name", f"Speaker {n}")
    fields.setdefault("slug", f"speaker-{n}")
    fields.setdefault("role", "Director General of MI5")
    return Speaker.objects.create(**fields)


def make_category(**fields):
    n = _n()
    fields.setdefault("name", f"Category {n}")
    fields.setdefault("slug", f"category-{n}")
    return ThreatCategory.objects.create(**fields)


def make_country(**fields):
    n = _n()
    fields.setdefault("name", f"Country {n}")
    fields.setdefault("slug", f"country-{n}")
    return Country.objects.create(**fields)


def make_speech(threats=(), countries=(), **fields):
    n = _n()
    fields.setdefault("slug", f"speech-{n}")
    fields.setdefault("title", f"Speech {n}")
    fields.setdefault("date", datetime.date(2020, 1, 1))
    fields.setdefault("date_basis", "Printed in the document.")
    fields.setdefault("kind", Speech.Kind.SPEECH)
    fields.setdefault("summary", "A summary.")
    fields.setdefault("status", Status.PUBLISHED)
    if "speaker" not in fields:
        fields["speaker"] = make_speaker()
    speech = Speech.objects.create(**fields)
    speech.threats.set(threats)
    speech.countries.set(countries)
    return speech


def make_source(**fields):
    n = _n()
    if "speech" not in fields:
        fields["speech"] = make_speech()
    fields.setdefault("slug", f"source-{n}")
    fields.setdefault("publisher", "MI5")
    fields.setdefault("language", "en")
    fields.setdefault("role", Source.Role.PRIMARY)
    fields.setdefault("document", "test.txt")
    fields.setdefault("text", "We disrupted 12 plots. Threats are rising.")
    return Source.objects.create(**fields)


def make_statistic(countries=(), **fields):
    if "source" not in fields:
        fields["source"] = make_source(**({"speech": fields["speech"]} if "speech" in fields else {}))
    fields.setdefault("speech", fields["source"].speech)
    fields.setdefault("measure", "plots disrupted")
    fields.setdefault("value", 12)
    fields.setdefault("value_text", "12")
    fields.setdefault("quote", "We disrupted 12 plots.")
    fields.setdefault("status", Status.PUBLISHED)
    statistic = Statistic.objects.create(**fields)
    statistic.countries.set(countries)
    return statistic


def make_assessment(countries=(), **fields):
    if "source" not in fields:
        fields["source"] = make_source(**({"speech": fields["speech"]} if "speech" in fields else {}))
    fields.setdefault("speech", fields["source"].speech)
    if "threat" not in fields:
        fields["threat"] = make_category()
    fields.setdefault("summary", "Rising.")
    fields.setdefault("quote", "Threats are rising.")
    fields.setdefault("status", Status.PUBLISHED)
    assessment = Assessment.objects.create(**fields)
    assessment.countries.set(countries)
    return assessment


def make_corpus(n):
    """n dated briefings alternating between two speakers, each tagged with a parent and a child
    category and one to three countries, with two published statistics, one draft statistic and
    one assessment: enough variety to show that query counts do not grow with n."""
    parent = make_category(slug="t-parent")
    child = make_category(slug="t-child", parent=parent)
    countries = [make_country(slug=f"c{i}") for i in range(3)]
    speakers = [make_speaker(slug=f"s{i}") for i in range(2)]
    for i in range(n):
        speech = make_speech(
            speaker=speakers[i % 2],
            date=datetime.date(2000 + i % 20, 1 + i % 12, 1),
            threats=[parent, child],
            countries=countries[: 1 + i % 3],
        )
        statistic = make_statistic(speech=speech, threat=child, countries=countries[:2])
        make_statistic(speech=speech, source=statistic.source, value=99)
        make_statistic(speech=speech, source=statistic.source, value=7, status=Status.DRAFT)
        make_assessment(speech=speech, threat=child, source=statistic.source, countries=countries[:1])
