"""`make import-bench`: how good and how fast the import's draft figures are.

The documents in tests/data/import_bench/ were written for this benchmark and carry the cases
that fooled the importer (menus and banners, dates and times, phone numbers, paragraph and
section numbers, file names, ages, careers, spelled-out numbers, money, a press report of a
held speech); expected.toml lists beside each the figures a curator would keep. Prints:

- recall: the share of those figures the import proposes with the right value;
- precision: the share of its drafts that are such figures;
- where each document went (a press report of a held speech must be attached to it);
- the time to read and to import a 1 MB text, per MB.

Runs on a throwaway SQLite database (the curated seed), so it touches nothing else.
tests/test_import_bench.py pins the minimum recall and precision on the same documents.
"""

import os
import sys
import tempfile
import time
import tomllib
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = ROOT / "tests" / "data" / "import_bench"


def cases():
    return tomllib.loads((DOCUMENTS / "expected.toml").read_text(encoding="utf-8"))["documents"]


def evaluate(vocabulary):
    """Per document: (case, proposals, misses, false alarms); a proposal is right when its value
    is an expected figure's and its quote holds that figure's words."""
    from briefings.importing import read_document
    from briefings.models import normalise_whitespace

    results = []
    for case in cases():
        text = (DOCUMENTS / case["file"]).read_text(encoding="utf-8")
        proposals = read_document(text, vocabulary).proposals
        wanted = [(Decimal(f["value"]), normalise_whitespace(f["near"])) for f in case["figures"]]
        found, false_alarms = set(), []
        for proposal in proposals:
            value = proposal.figure.value.quantize(Decimal("0.01"))
            match = next((k for k, (v, near) in enumerate(wanted)
                          if k not in found and v.quantize(Decimal("0.01")) == value and near in proposal.quote), None)
            if match is None:
                false_alarms.append(proposal)
            else:
                found.add(match)
        misses = [figure for k, figure in enumerate(case["figures"]) if k not in found]
        results.append((case, proposals, misses, false_alarms))
    return results


def scores(results):
    expected = sum(len(case["figures"]) for case, *_ in results)
    proposed = sum(len(proposals) for _case, proposals, _m, _f in results)
    missed = sum(len(misses) for _case, _p, misses, _f in results)
    false = sum(len(false_alarms) for *_, false_alarms in results)
    return (expected - missed) / expected, (proposed - false) / proposed if proposed else 1.0


def one_megabyte():
    """About 1 MB of text made of the benchmark's documents, each copy's numbers shifted."""
    parts, size, n = [], 0, 0
    texts = [(DOCUMENTS / case["file"]).read_text(encoding="utf-8") for case in cases()]
    while size < 1_048_576:
        text = texts[n % len(texts)].replace("0", str(n % 10))
        parts.append(f"Part {n}\n\n{text}")
        size += len(parts[-1].encode())
        n += 1
    return "\n\n".join(parts)


def main():
    database = Path(tempfile.mkdtemp()) / "import-bench.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "briefings.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command

    from briefings.importing import ImportForm, Vocabulary, import_document, read_document
    from briefings.models import Speaker

    call_command("migrate", verbosity=0)
    call_command("seed", verbosity=0)
    results = evaluate(Vocabulary())
    for case, proposals, misses, false_alarms in results:
        print(f"{case['file']}: {len(case['figures'])} figures, {len(proposals)} drafts, "
              f"{len(misses)} missed, {len(false_alarms)} false alarms")
        for figure in misses:
            print(f"    missed  {figure['value']:>12}  “{figure['near']}”")
        for proposal in false_alarms:
            print(f"    false   {proposal.figure.value_text:>12}  {proposal.measure} | {proposal.quote[:90]}")
    recall, precision = scores(results)
    print(f"\nrecall {recall:.1%} (real figures caught with the right value), precision {precision:.1%} "
          "(drafts that are real figures)")

    print("\nWhere each document went:")
    for case in cases():
        fields = {key: case.get(key, "") for key in ("speaker", "date", "title", "kind", "publisher", "new")}
        form = ImportForm(fields, {"document": SimpleUploadedFile(case["file"], (DOCUMENTS / case["file"]).read_bytes())})
        assert form.is_valid(), form.errors
        result = import_document(form.import_request(case["file"]))
        expected = case.get("attached_to")
        ok = (result.speech.slug == expected) if expected else result.outcome == "created"
        print(f"  {case['file']}: {result.outcome} → {result.speech.slug} ({'as expected' if ok else 'WRONG'})")

    text = one_megabyte()
    megabytes = len(text.encode()) / 1_048_576
    start = time.perf_counter()
    reading = read_document(text, Vocabulary())
    read_seconds = time.perf_counter() - start
    form = ImportForm({"speaker": Speaker.objects.first().slug, "date": "2020-01-01", "title": "One megabyte",
                       "kind": "speech", "new": True},
                      {"document": SimpleUploadedFile("one-megabyte.txt", text.encode())})
    assert form.is_valid(), form.errors
    start = time.perf_counter()
    result = import_document(form.import_request("one-megabyte.txt"))
    import_seconds = time.perf_counter() - start
    print(f"\n{megabytes:.2f} MB text: read in {read_seconds:.2f} s ({read_seconds / megabytes:.2f} s/MB, "
          f"{len(reading.proposals)} figures found); whole import {import_seconds:.2f} s "
          f"({import_seconds / megabytes:.2f} s/MB, {len(result.drafts)} drafts kept, {result.left_out} over the cap)")
    return 0 if recall >= 0.95 and precision >= 0.85 else 1


if __name__ == "__main__":
    sys.exit(main())
