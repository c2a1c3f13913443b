"""Pages of their own: one figure (/statistics/<id>/ and its JSON) and one speaker
(/speakers/<slug>/), and the links to them from the explorer, the API and the CSV.

Seeded data: "late-stage attack plots disrupted" has three figures (Parker 2017: "Twenty",
over the past four years; the 2021 update: 29, over the last four years; the 2024 news
report: 43, since March 2017, paraphrased, publisher not named). Ken McCallum's tenure start
is stated in the documents; Andrew Parker's is not.
"""

import csv
import io
import re

import pytest

from briefings.models import Statistic, Status, normalise_whitespace
from tests.factories import make_source, make_speaker, make_statistic

pytestmark = pytest.mark.django_db


def text_of(response):
    html = response.content.decode()
    main = html[html.index("<main"):html.index("</main>")]
    return normalise_whitespace(re.sub(r"<[^>]+>", " ", main)), html


# ---------------------------------------------------------------- the figure page


def test_a_figure_page_shows_what_the_figure_is_and_whose_words(client, seeded):
    text, html = text_of(client.get("/statistics/33/"))
    assert "<h1><span class=\"value\">43</span> late-stage attack plots disrupted</h1>" in html
    for fact in ("Period Since March 2017", "Qualifier exact", "Whose words The reporter&#x27;s paraphrase",
                 "Briefing Annual threat update 2024", "Speaker Ken McCallum"):
        assert fact.replace("&#x27;", "'") in text.replace("&#x27;", "'")
    assert 'href="/speakers/ken-mccallum/"' in html
    assert "<title>43 late-stage attack plots disrupted (2024) · Threat Briefings</title>" in html


def test_a_figure_page_marks_the_sentence_in_its_paragraph_and_links_to_the_anchor(client, seeded):
    _text, html = text_of(client.get("/statistics/33/"))
    paragraph = re.search(r'<blockquote class="source-text in-context"[^>]*>\s*<p>(.*?)</p>', html, re.S).group(1)
    # The whole paragraph, not only the quote: the sentences before and after it are there too.
    assert "flagged the pressure on MI5’s resources." in paragraph
    assert "accounting for 13% of MI5’s work" in paragraph
    marked = re.search(r'<mark id="stat-33" class="hl hl-stat">(.*?)</mark>', paragraph).group(1)
    assert marked == Statistic.objects.get(pk=33).quote
    assert 'href="/briefings/annual-threat-update-2024/#stat-33"' in html
    # The anchor it links to exists on the briefing page.
    assert 'id="stat-33"' in client.get("/briefings/annual-threat-update-2024/").content.decode()


def test_a_figure_page_lists_the_other_figures_of_its_measure(client, seeded):
    _text, html = text_of(client.get("/statistics/33/"))
    others = html[html.index('id="others-heading"'):]
    links = re.findall(r'href="/statistics/(\d+)/"', others)
    assert links == ["2", "18"]  # oldest briefing first, itself left out
    assert "over the past four years" in others and "over the last four years" in others


def test_a_figure_alone_in_its_measure_says_so(client, seeded):
    text, _html = text_of(client.get("/statistics/3/"))
    assert "No other briefing gives a figure for this measure." in text


def test_cite_this_says_publisher_unnamed_only_when_the_source_names_none(client, seeded):
    text, _html = text_of(client.get("/statistics/33/"))
    assert "[publisher unnamed]" in text
    assert "Via Threat Briefings: http://testserver/statistics/33/" in text
    text, _html = text_of(client.get("/statistics/3/"))
    assert "Published by MI5 (the Security Service)." in text
    assert "unnamed" not in text


def test_the_figure_json_is_the_api_row_with_its_own_url(client, seeded):
    page = client.get("/statistics/33/").content.decode()
    assert 'href="/statistics/33.json"' in page
    own = client.get("/statistics/33.json").json()
    api = {row["id"]: row for row in client.get("/api/statistics.json").json()["results"]}
    assert own == api[33]
    assert own["url"] == "http://testserver/statistics/33/"
    assert own["value"] == 43 and own["attribution"] == "paraphrase"


def test_the_csv_url_column_links_to_the_figure_pages(client, seeded):
    body = b"".join(client.get("/statistics.csv").streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert rows and all(row["url"] == f"http://testserver/statistics/{row['id']}/" for row in rows)


def test_the_explorer_links_each_figure_to_its_page(client, seeded):
    html = client.get("/statistics/").content.decode()
    table = html[html.index('id="all-heading"'):]
    linked = set(re.findall(r'<td class="figure" data-label="Figure"><a href="/statistics/(\d+)/"', table))
    assert linked == {str(pk) for pk in Statistic.objects.published().values_list("pk", flat=True)}


@pytest.mark.parametrize("path", ["/statistics/999/", "/statistics/999.json"])
def test_an_unknown_figure_is_404(client, seeded, path):
    assert client.get(path).status_code == 404


def test_a_draft_figure_has_no_public_page(client, db):
    draft = make_statistic(status=Status.DRAFT)
    assert client.get(f"/statistics/{draft.pk}/").status_code == 404
    assert client.get(f"/statistics/{draft.pk}.json").status_code == 404


def test_a_quote_from_a_hostile_source_is_escaped(client, db):
    source = make_source(text="<script>alert(1)</script> We counted 5 <b>plots</b>.\n\nNext paragraph.")
    statistic = make_statistic(source=source, quote="We counted 5 <b>plots</b>.", value=5, value_text="5",
                               measure="<i>plots</i>")
    html = client.get(f"/statistics/{statistic.pk}/").content.decode()
    assert "<script>alert" not in html and "<b>plots" not in html and "<i>plots" not in html
    assert "&lt;b&gt;plots&lt;/b&gt;" in html


def test_figure_page_query_count_is_fixed(client, seeded, django_assert_num_queries):
    """Three queries (the test's transaction is uncommitted, so the page cache stands aside):
    the figure with its briefing, speaker, source and threat; its countries; the other figures
    of its measure with their briefings."""
    with django_assert_num_queries(3):
        assert client.get("/statistics/33/").status_code == 200


# ---------------------------------------------------------------- the speaker page


def test_a_speaker_page_gives_the_stated_tenure_and_their_briefings_and_figures(client, seeded):
    text, html = text_of(client.get("/speakers/ken-mccallum/"))
    assert "Role Director General of MI5, MI5 (the Security Service)" in text
    assert "In office from April 2020 (no end date in the documents)" in text
    assert "Generaldirektor seit April 2020" in text  # where the date comes from
    assert "Inferred" not in text
    assert "Briefings (3)" in text
    for slug in ("annual-threat-update-2024", "annual-threat-update-2021", "bbc-radio-interview-2021-09"):
        assert f'href="/briefings/{slug}/"' in html
    figures = Statistic.objects.published().filter(speech__speaker__slug="ken-mccallum")
    assert f"Figures ({figures.count()})" in text
    assert set(re.findall(r'href="/statistics/(\d+)/"', html)) == {str(s.pk) for s in figures}


def test_a_speaker_without_stated_dates_shows_what_is_inferred_as_inferred(client, seeded):
    text, _html = text_of(client.get("/speakers/andrew-parker/"))
    # Parker's one dated briefing is October 2017; the video is undated. Nothing is invented.
    assert "Inferred: in office at least from October 2017 to October 2017" in text
    assert "the documents give no dates of office" in text


def test_a_speaker_with_no_briefings_and_no_dates(client, db):
    speaker = make_speaker(slug="nobody")
    text, _html = text_of(client.get("/speakers/nobody/"))
    assert "The documents give no dates of office." in text and "Briefings (0)" in text
    assert speaker.get_absolute_url() == "/speakers/nobody/"


def test_speaker_names_link_to_their_pages(client, seeded):
    for path in ("/", "/briefings/annual-threat-update-2021/", "/statistics/"):
        assert 'href="/speakers/ken-mccallum/"' in client.get(path).content.decode(), path


def test_speaker_page_query_count_is_fixed(client, seeded, django_assert_num_queries):
    """Three queries: the speaker, their briefings, their figures."""
    with django_assert_num_queries(3):
        assert client.get("/speakers/ken-mccallum/").status_code == 200


def test_an_unknown_speaker_is_404(client, seeded):
    assert client.get("/speakers/nobody-at-all/").status_code == 404


def test_a_draft_briefing_stays_off_its_speakers_page(client, seeded):
    from briefings.models import Speech

    Speech.objects.filter(slug="annual-threat-update-2024").update(status=Status.DRAFT)
    text, html = text_of(client.get("/speakers/ken-mccallum/"))
    assert "Briefings (2)" in text and "annual-threat-update-2024" not in html
    assert client.get("/statistics/33/").status_code == 404  # its figures have no public page either
