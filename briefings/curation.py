"""Turn the hand-curated TOML file and the source documents into a Django fixture.

Everything is checked before anything is written: each quote must stand verbatim
(ignoring whitespace) in its source's text, and each reference must point at an entry
that exists. A problem is reported with the entry it belongs to.
"""

import datetime
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .models import Assessment, Attribution, Source, Speech, Statistic, Status, quote_in_text

SINGULAR = {
    "speakers": "speaker",
    "categories": "category",
    "countries": "country",
    "speeches": "speech",
    "sources": "source",
}


class CurationError(Exception):
    """The curation file cannot be turned into a fixture; `problems` lists why."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class Build:
    fixture: list = field(default_factory=list)
    problems: list = field(default_factory=list)

    def add(self, model, fields, pk=None):
        entry = {"model": f"briefings.{model}", "fields": fields}
        if pk is not None:
            entry["pk"] = pk
        self.fixture.append(entry)


def _iso(value):
    if value is None:
        return None
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value.isoformat()
    raise ValueError(f"{value!r} is not a date (write it as YYYY-MM-DD, unquoted)")


def _choice(value, choices, what):
    if value not in choices.values:
        raise ValueError(f"{what} {value!r} is not one of {', '.join(choices.values)}")
    return value


def _excerpt(document_text, starts_with, ends_with):
    """The slice of a document that is the briefing, from the first `starts_with` to the
    first `ends_with` after it, both included."""
    start = 0
    if starts_with:
        start = document_text.find(starts_with)
        if start < 0:
            raise ValueError(f"starts_with {starts_with!r} is not in the document")
    end = len(document_text)
    if ends_with:
        found = document_text.find(ends_with, start)
        if found < 0:
            raise ValueError(f"ends_with {ends_with!r} is not in the document after starts_with")
        end = found + len(ends_with)
    return document_text[start:end]


def build_fixture(curation_path, documents_dir):
    """Return the fixture (a list of dicts) for the curation file, or raise CurationError."""
    curation_path = Path(curation_path)
    documents_dir = Path(documents_dir)
    try:
        data = tomllib.loads(curation_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CurationError([f"{curation_path}: no such file"]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise CurationError([f"{curation_path}: not valid TOML: {error}"]) from error

    build = Build()
    known = {name: set() for name in ("speakers", "categories", "countries", "speeches", "sources")}
    source_speech = {}
    source_text = {}

    def check_ref(label, kind, slug):
        if slug is not None and slug not in known[kind]:
            build.problems.append(f"{label}: {SINGULAR[kind]} {slug!r} does not exist")
            return False
        return True

    def entries(section):
        for position, entry in enumerate(data.get(section, []), start=1):
            name = entry.get("slug") or entry.get("id")
            yield f"{section}[{position}] ({name})", entry

    def unique_key(label, kind, key):
        if key in known[kind]:
            build.problems.append(f"{label}: duplicate slug {key!r}")
        known[kind].add(key)

    for label, entry in entries("speakers"):
        try:
            unique_key(label, "speakers", entry["slug"])
            build.add("speaker", {
                "slug": entry["slug"],
                "name": entry["name"],
                "role": entry["role"],
                "organisation": entry.get("organisation", "MI5 (the Security Service)"),
                "tenure_start": _iso(entry.get("tenure_start")),
                "tenure_end": _iso(entry.get("tenure_end")),
                "tenure_note": entry.get("tenure_note", ""),
            })
        except (KeyError, ValueError) as error:
            build.problems.append(f"{label}: {_describe(error)}")

    for position, (label, entry) in enumerate(entries("categories")):
        try:
            unique_key(label, "categories", entry["slug"])
            parent = entry.get("parent")
            if parent is not None and check_ref(label, "categories", parent):
                parent = [parent]
            build.add("threatcategory", {
                "slug": entry["slug"],
                "name": entry["name"],
                "parent": parent,
                "description": entry.get("description", ""),
                "position": position,
            })
        except (KeyError, ValueError) as error:
            build.problems.append(f"{label}: {_describe(error)}")

    for label, entry in entries("countries"):
        try:
            unique_key(label, "countries", entry["slug"])
            build.add("country", {"slug": entry["slug"], "name": entry["name"]})
        except KeyError as error:
            build.problems.append(f"{label}: {_describe(error)}")

    for label, entry in entries("speeches"):
        try:
            unique_key(label, "speeches", entry["slug"])
            check_ref(label, "speakers", entry["speaker"])
            threats = [t for t in entry.get("threats", []) if check_ref(label, "categories", t)]
            countries = [c for c in entry.get("countries", []) if check_ref(label, "countries", c)]
            date = _iso(entry.get("date"))
            inferred = entry.get("date_inferred", False)
            basis = entry.get("date_basis", "")
            if not basis:
                build.problems.append(f"{label}: date_basis is required (printed where, inferred how, or why undated)")
            if inferred and date is None:
                build.problems.append(f"{label}: date_inferred without a date")
            build.add("speech", {
                "slug": entry["slug"],
                "title": entry["title"],
                "date": date,
                "date_inferred": inferred,
                "date_basis": basis,
                "kind": _choice(entry["kind"], Speech.Kind, "kind"),
                "speaker": [entry["speaker"]],
                "venue": entry.get("venue", ""),
                "summary": entry["summary"],
                "threats": [[t] for t in threats],
                "countries": [[c] for c in countries],
                "status": _choice(entry.get("status", "published"), Status, "status"),
            })
        except (KeyError, ValueError) as error:
            build.problems.append(f"{label}: {_describe(error)}")

    for label, entry in entries("sources"):
        try:
            unique_key(label, "sources", entry["slug"])
            check_ref(label, "speeches", entry["speech"])
            document_path = documents_dir / entry["document"]
            try:
                document_text = document_path.read_text(encoding="utf-8")
            except FileNotFoundError:
                build.problems.append(f"{label}: document {entry['document']!r} is not in {documents_dir}")
                continue
            text = _excerpt(document_text, entry.get("starts_with"), entry.get("ends_with"))
            source_speech[entry["slug"]] = entry["speech"]
            source_text[entry["slug"]] = text
            build.add("source", {
                "slug": entry["slug"],
                "speech": [entry["speech"]],
                "publisher": entry["publisher"],
                "url": entry.get("url", ""),
                "language": entry["language"],
                "role": _choice(entry["role"], Source.Role, "role"),
                "document": entry["document"],
                "text": text,
                "notes": entry.get("notes", ""),
            })
        except (KeyError, ValueError) as error:
            build.problems.append(f"{label}: {_describe(error)}")

    seen_ids = {"statistics": set(), "assessments": set()}

    def quoted_item(label, section, entry):
        """Checks shared by statistics and assessments; returns the fields they share."""
        pk = entry["id"]
        if not isinstance(pk, int) or pk < 1 or pk in seen_ids[section]:
            build.problems.append(f"{label}: id must be a positive whole number used once")
        seen_ids[section].add(pk)
        source = entry["source"]
        if not check_ref(label, "sources", source):
            return None
        if not quote_in_text(entry["quote"], source_text[source]):
            build.problems.append(f"{label}: quote not found verbatim in source {source!r}: {entry['quote']!r}")
        countries = [c for c in entry.get("countries", []) if check_ref(label, "countries", c)]
        return {
            "speech": [source_speech[source]],
            "source": [source],
            "quote": entry["quote"],
            "countries": [[c] for c in countries],
            "attribution": _choice(entry.get("attribution", "speaker"), Attribution, "attribution"),
            "status": _choice(entry.get("status", "published"), Status, "status"),
            "updated_at": "2026-11-21T00:00:00Z",
        }

    for label, entry in entries("statistics"):
        try:
            shared = quoted_item(label, "statistics", entry)
            threat = entry.get("threat")
            if threat is not None and not check_ref(label, "categories", threat):
                threat = None
            value = entry.get("value")
            if value is not None:
                value = Decimal(str(value))
                if value < 0:
                    build.problems.append(f"{label}: value must not be negative")
            period_start = _iso(entry.get("period_start"))
            period_end = _iso(entry.get("period_end"))
            if period_start and period_end and period_start > period_end:
                build.problems.append(f"{label}: period_start is after period_end")
            if shared is None:
                continue
            build.add("statistic", {
                **shared,
                "measure": entry["measure"],
                "value": None if value is None else str(value),
                "value_text": entry["value_text"],
                "qualifier": _choice(entry.get("qualifier", "exact"), Statistic.Qualifier, "qualifier"),
                "unit": entry.get("unit", ""),
                "period": entry.get("period", ""),
                "period_start": period_start,
                "period_end": period_end,
                "threat": [threat] if threat else None,
                "note": entry.get("note", ""),
            }, pk=entry["id"])
        except (KeyError, ValueError, InvalidOperation) as error:
            build.problems.append(f"{label}: {_describe(error)}")

    for label, entry in entries("assessments"):
        try:
            shared = quoted_item(label, "assessments", entry)
            check_ref(label, "categories", entry["threat"])
            if shared is None:
                continue
            build.add("assessment", {
                **shared,
                "threat": [entry["threat"]],
                "summary": entry["summary"],
                "trend": _choice(entry.get("trend", ""), Assessment.Trend, "trend") if entry.get("trend") else "",
            }, pk=entry["id"])
        except (KeyError, ValueError) as error:
            build.problems.append(f"{label}: {_describe(error)}")

    if build.problems:
        raise CurationError(build.problems)
    return build.fixture


def _describe(error):
    if isinstance(error, KeyError):
        return f"missing required key {error.args[0]!r}"
    if isinstance(error, InvalidOperation):
        return "value is not a number"
    return str(error)
