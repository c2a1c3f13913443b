"""The briefing page: header, figures and judgements, the full text with every quote
highlighted where it stands, the sources, and what the page must never do (show drafts,
let markup through, grow its query count).

The seeded data: five briefings. 2017 (Parker's speech), the 2021 annual threat update
(MI5's page and a republication), the 2021 BBC radio interview and the 2024 update (both
known only from news reports, dates inferred) and the undated Being MI5 video.
"""

import datetime
import difflib
import re
from html.parser import HTMLParser

import pytest
from django.contrib.staticfiles import finders
from django.utils.html import escape

from briefings import passages
from briefings.models import Assessment, Source, Speech, Statistic, Status, normalise_whitespace
from tests.factories import make_assessment, make_source, make_speech, make_statistic

pytestmark = pytest.mark.django_db

SEEDED = [
    "parker-speech-2017-10-17",
    "annual-threat-update-2021",
    "bbc-radio-interview-2021-09",
    "annual-threat-update-2024",
    "being-mi5-video",
]
NEWS_NOTICE = "This briefing is known only from a news report"


# ---------------------------------------------------------------- a small DOM to read pages with

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Element:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.children = tag, dict(attrs), parent, []

    @property
    def text(self):
        return "".join(child if isinstance(child, str) else child.text for child in self.children)

    def iter(self):
        for child in self.children:
            if isinstance(child, Element):
                yield child
                yield from child.iter()

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


class Page(HTMLParser):
    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.root = self.current = Element("#document", {}, None)
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        element = Element(tag, attrs, self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Element(tag, attrs, self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        assert node is not self.root, f"</{tag}> closes nothing"
        self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)

    def by_id(self, anchor):
        found = [element for element in self.root.iter() if element.attrs.get("id") == anchor]
        assert len(found) == 1, f"{len(found)} elements with id={anchor!r}"
        return found[0]

    def links_to(self, href, within=None):
        return [a for a in (within or self.root).iter() if a.tag == "a" and a.attrs.get("href") == href]


def get(client, slug):
    response = client.get(f"/briefings/{slug}/")
    assert response.status_code == 200
    return response.content.decode()


def highlighted_text(page, anchor):
    """The text of the <mark> an anchor is: the mark itself, or the mark an empty anchor
    <span> (a second figure sharing the quote) stands in."""
    element = page.by_id(anchor)
    if element.tag == "span":
        assert element.text == "", f"{anchor}: anchor spans are empty"
        element = element.parent
    assert element.tag == "mark", f"{anchor} is a <{element.tag}>, not a highlight"
    return element.text


# ---------------------------------------------------------------- highlights on the seeded briefings


@pytest.mark.parametrize(
    "model, anchor, item",
    [(Statistic, "stat", "figure"), (Assessment, "assessment", "judgement")],
    ids=["statistics", "assessments"],
)
def test_every_published_quote_is_highlighted_once_and_linked_both_ways(client, seeded, model, anchor, item):
    checked = 0
    for speech in Speech.objects.all():
        html = get(client, speech.slug)
        page = Page(html)
        for obj in model.objects.published().filter(speech=speech):
            name = f"{anchor}-{obj.pk}"
            assert html.count(f'id="{name}"') == 1, f"{speech.slug}: {name}"
            assert normalise_whitespace(highlighted_text(page, name)) == normalise_whitespace(obj.quote), name
            entry = page.by_id(f"{item}-{obj.pk}")
            assert page.links_to(f"#{name}", within=entry), f"the list entry {item}-{obj.pk} links to its highlight"
            assert page.links_to(f"#{item}-{obj.pk}"), f"the highlight {name} links back to its list entry"
            checked += 1
    assert checked == model.objects.published().count() > 0


@pytest.mark.parametrize(
    "slug, shared, first",
    [
        ("parker-speech-2017-10-17", "stat-8", "stat-7"),
        ("parker-speech-2017-10-17", "stat-13", "stat-12"),
        ("annual-threat-update-2021", "stat-19", "stat-18"),
        ("bbc-radio-interview-2021-09", "stat-27", "stat-26"),
    ],
)
def test_figures_sharing_a_quote_share_one_highlight(client, seeded, slug, shared, first):
    page = Page(get(client, slug))
    anchor = page.by_id(shared)
    assert anchor.tag == "span"
    assert anchor.parent is page.by_id(first)
    assert page.by_id(first).tag == "mark"


def test_a_judgement_inside_a_figures_quote_is_a_mark_inside_its_mark(client, seeded):
    """Assessment 17 quotes the first clause of statistic 34's sentence in the 2024 report."""
    page = Page(get(client, "annual-threat-update-2024"))
    inner, outer = page.by_id("assessment-17"), page.by_id("stat-34")
    assert inner.tag == outer.tag == "mark"
    assert outer in inner.ancestors()


# ---------------------------------------------------------------- the text


@pytest.mark.parametrize("slug", SEEDED)
def test_paragraphs_have_numbered_anchors_in_order(client, seeded, slug):
    page = Page(get(client, slug))
    numbered = [
        el.attrs["id"] for el in page.root.iter() if el.tag == "p" and re.fullmatch(r"p\d+", el.attrs.get("id", ""))
    ]
    assert numbered[0] == "p1"
    assert numbered == [f"p{n}" for n in range(1, len(numbered) + 1)]
    assert page.links_to("#p1")


def test_paragraphs_split_on_blank_lines_and_one_per_line_without_any(client, seeded):
    """Parker's speech has 28 paragraphs between blank lines; the 2024 report has no blank
    line and one paragraph per line (15 lines)."""
    assert 'id="p28"' in get(client, "parker-speech-2017-10-17")
    assert 'id="p29"' not in get(client, "parker-speech-2017-10-17")
    html = get(client, "annual-threat-update-2024")
    assert 'id="p15"' in html and 'id="p16"' not in html
    assert Page(html).by_id("p3").text.endswith("Increased Threat from ISIS and Al-Qaeda")


def test_only_the_primary_sources_text_is_shown(client, seeded):
    html = get(client, "annual-threat-update-2021")
    assert html.count("Good morning everyone. Thank you for coming.") == 1
    primary = Source.objects.get(slug="annual-threat-update-2021-mi5")
    assert Page(html).by_id("p1").text.endswith(primary.text.split("\n")[0].strip())


# ---------------------------------------------------------------- the header


@pytest.mark.parametrize(
    "slug, previous, following",
    [
        ("parker-speech-2017-10-17", None, "annual-threat-update-2021"),
        ("annual-threat-update-2021", "parker-speech-2017-10-17", "bbc-radio-interview-2021-09"),
        ("bbc-radio-interview-2021-09", "annual-threat-update-2021", "annual-threat-update-2024"),
        ("annual-threat-update-2024", "bbc-radio-interview-2021-09", "being-mi5-video"),
        ("being-mi5-video", "annual-threat-update-2024", None),
    ],
)
def test_previous_and_next_in_time_with_undated_last(client, seeded, slug, previous, following):
    page = Page(get(client, slug))
    links = {a.attrs["rel"]: a.attrs["href"] for a in page.root.iter() if a.tag == "a" and "rel" in a.attrs}
    assert links.get("prev") == (f"/briefings/{previous}/" if previous else None)
    assert links.get("next") == (f"/briefings/{following}/" if following else None)


def test_neighbours_on_the_same_day_go_by_title_and_undated_ones_by_title_after_all_dated(client):
    day = datetime.date(2020, 5, 1)
    make_speech(slug="b-same-day", title="B", date=day)
    make_speech(slug="a-same-day", title="A", date=day)
    make_speech(slug="z-undated", title="Z", date=None)
    make_speech(slug="y-undated", title="Y", date=None)

    def rels(slug):
        page = Page(get(client, slug))
        return {a.attrs["rel"]: a.attrs["href"] for a in page.root.iter() if a.tag == "a" and "rel" in a.attrs}

    assert rels("a-same-day") == {"next": "/briefings/b-same-day/"}
    assert rels("b-same-day") == {"prev": "/briefings/a-same-day/", "next": "/briefings/y-undated/"}
    assert rels("y-undated") == {"prev": "/briefings/b-same-day/", "next": "/briefings/z-undated/"}
    assert rels("z-undated") == {"prev": "/briefings/y-undated/"}


@pytest.mark.parametrize("slug", ["bbc-radio-interview-2021-09", "annual-threat-update-2024"])
def test_an_inferred_date_says_so_and_shows_its_basis(client, seeded, slug):
    speech = Speech.objects.get(slug=slug)
    assert speech.date_inferred
    html = get(client, slug)
    assert "Date inferred." in html
    assert escape(speech.date_basis) in html
    assert '<abbr class="inferred"' in html


def test_a_printed_date_is_not_called_inferred_and_an_undated_briefing_says_undated(client, seeded):
    assert "Date inferred." not in get(client, "parker-speech-2017-10-17")
    html = get(client, "being-mi5-video")
    assert "Undated" in html
    assert escape(Speech.objects.get(slug="being-mi5-video").date_basis) in html


def test_header_tags_link_to_the_timeline_filtered_by_them(client, seeded):
    html = get(client, "parker-speech-2017-10-17")
    assert '<a href="/?threat=islamist-terrorism">Islamist terrorism</a>' in html
    assert '<a href="/?country=northern-ireland">Northern Ireland</a>' in html
    assert '<a href="/speakers/andrew-parker/">Andrew Parker</a>, Director General of MI5' in html


@pytest.mark.parametrize(
    "slug, shown", [("annual-threat-update-2024", True), ("bbc-radio-interview-2021-09", True),
                    ("annual-threat-update-2021", False), ("parker-speech-2017-10-17", False)],
)
def test_the_news_report_notice_shows_only_where_a_report_is_all_there_is(client, seeded, slug, shown):
    assert (NEWS_NOTICE in get(client, slug)) is shown


def test_the_reporters_background_is_marked_on_each_figure(client, seeded):
    page = Page(get(client, "bbc-radio-interview-2021-09"))
    for pk in (26, 27, 28):
        assert "The reporter's background" in page.by_id(f"figure-{pk}").text
    assert "The speaker's own words" in page.by_id("figure-25").text


def test_background_facts_are_listed_apart_under_their_own_heading(client, seeded):
    html = get(client, "bbc-radio-interview-2021-09")
    figures = html[html.index('id="figures-heading"'):html.index('id="background-heading"')]
    background = html[html.index('id="background-heading"'):html.index('id="text-heading"')]
    assert re.findall(r'<li id="figure-(\d+)">', figures) == ["25"]
    assert re.findall(r'<li id="figure-(\d+)">', background) == ["26", "27", "28"]
    assert "Background given by the reporter" in background


def test_a_briefing_without_background_has_no_background_heading(client, seeded):
    assert 'id="background-heading"' not in get(client, "annual-threat-update-2021")


# ---------------------------------------------------------------- figures: details and citations


def test_a_figure_shows_its_value_measure_period_qualifier_and_note(client, seeded):
    statistic = Statistic.objects.get(pk=3)
    entry = normalise_whitespace(Page(get(client, "parker-speech-2017-10-17")).by_id("figure-3").text)
    for part in (statistic.value_text, statistic.measure, statistic.period, statistic.get_qualifier_display(),
                 normalise_whitespace(statistic.note)):
        assert part in entry


def test_cite_this_credits_the_original_and_links_to_the_figure_page(client, seeded):
    page = Page(get(client, "annual-threat-update-2024"))
    cite = normalise_whitespace(page.by_id("cite-29").text)
    assert cite.startswith(
        "Ken McCallum (Director General of MI5), “Annual threat update 2024”, 8 October 2024 (date inferred)."
    )
    assert "As paraphrased by Online news report (publisher not named in the document) [publisher unnamed]." in cite
    assert cite.endswith("Via Threat Briefings: http://testserver/statistics/29/")

    page = Page(get(client, "annual-threat-update-2021"))
    cite = normalise_whitespace(page.by_id("cite-15").text)
    source = Source.objects.get(slug="annual-threat-update-2021-mi5")
    assert "(date inferred)" not in cite
    assert f"Published by {source.publisher}" in cite
    if source.url:
        assert source.url in cite


def test_cite_this_credits_background_to_the_reporter_and_says_undated(client, seeded):
    cite = normalise_whitespace(Page(get(client, "bbc-radio-interview-2021-09")).by_id("cite-26").text)
    assert cite.startswith("IBTimes, in its report of Ken McCallum (Director General of MI5),")
    assert "10 September 2021 (date inferred): the reporter’s background, not the speaker’s words." in cite
    assert cite.startswith("IBTimes, in its report")  # a named publisher is not called unnamed
    assert cite.endswith("http://testserver/statistics/26/")

    cite = normalise_whitespace(Page(get(client, "being-mi5-video")).by_id("cite-1").text)
    assert cite.startswith("Andrew Parker (Director General of MI5), “Being MI5 (video)”, undated. Published by MI5")


def test_the_copy_button_is_scripted_from_a_static_file_and_hidden_without_it(client, seeded):
    html = get(client, "parker-speech-2017-10-17")
    page = Page(html)
    scripts = [el for el in page.root.iter() if el.tag == "script"]
    assert any(el.attrs.get("src", "").endswith("/js/cite.js") and "defer" in el.attrs for el in scripts)
    assert all(el.attrs.get("src") and not el.text.strip() for el in scripts), "no inline scripts"
    assert not re.search(r"\son[a-z]+\s*=", html), "no inline event handlers"
    buttons = [el for el in page.root.iter() if el.tag == "button"]
    assert buttons and all("hidden" in el.attrs and el.attrs["data-copy"].startswith("cite-") for el in buttons)
    assert finders.find("js/cite.js")


# ---------------------------------------------------------------- sources


def test_the_two_copies_of_the_2021_update_are_the_same_speech_with_their_similarity(client, seeded):
    html = get(client, "annual-threat-update-2021")
    page = Page(html)
    mi5 = Source.objects.get(slug="annual-threat-update-2021-mi5")
    republication = Source.objects.get(slug="annual-threat-update-2021-german-republication")
    assert "copies of the same annual threat update" in html
    ratio = difflib.SequenceMatcher(None, mi5.text.split(), republication.text.split(), autojunk=False).ratio()
    assert 0.99 < ratio < 1
    assert f"{round(ratio * 100, 1):g}% of words in common" in html
    for source in (mi5, republication):
        entry = page.by_id(f"source-{source.slug}")
        assert normalise_whitespace(source.notes) in normalise_whitespace(entry.text)
        assert source.get_role_display() in entry.text
    assert "German (de)" in page.by_id(f"source-{republication.slug}").text


def test_a_briefing_with_one_source_shows_no_comparison(client, seeded):
    assert "words in common" not in get(client, "parker-speech-2017-10-17")


@pytest.mark.parametrize(
    "ratio, words", [(1, "100% of words in common"), (0.99788, "99.8% of words in common"),
                     (0.99996, "over 99.9% of words in common"), (0.5, "50% of words in common")],
)
def test_similarity_is_described_without_rounding_up_to_identical(ratio, words):
    assert passages.describe_similarity(ratio) == words


# ---------------------------------------------------------------- built from factories


def test_markup_in_curated_text_is_escaped_everywhere(client):
    speech = make_speech(summary="Summary <script>alert('summary')</script>", title="T <i>x</i>")
    source = make_source(
        speech=speech, text="Before <b>now</b>.\n\nWe found <script>alert('text')</script> and 3 <b>plots</b>."
    )
    statistic = make_statistic(
        source=source, quote="found <script>alert('text')</script> and 3 <b>plots</b>.", value_text="3 <b>",
        note="Note <script>alert('note')</script>",
    )
    assessment = make_assessment(
        source=source, quote="Before <b>now</b>.", summary="<script>alert('judgement')</script>"
    )
    html = get(client, speech.slug)
    assert "<script>alert" not in html
    assert "<b>" not in html and "<i>x</i>" not in html
    for escaped in ("&lt;script&gt;alert(&#x27;summary&#x27;)", "&lt;script&gt;alert(&#x27;text&#x27;)",
                    "&lt;script&gt;alert(&#x27;note&#x27;)", "&lt;script&gt;alert(&#x27;judgement&#x27;)"):
        assert escaped in html
    page = Page(html)
    assert highlighted_text(page, f"stat-{statistic.pk}") == statistic.quote
    assert highlighted_text(page, f"assessment-{assessment.pk}") == assessment.quote


def test_a_quote_spanning_line_breaks_is_still_highlighted(client):
    source = make_source(text="One.\n\nWe  disrupted\n12\u00a0plots last year.")
    statistic = make_statistic(source=source, quote="We disrupted 12 plots last year.")
    page = Page(get(client, source.speech.slug))
    assert normalise_whitespace(highlighted_text(page, f"stat-{statistic.pk}")) == statistic.quote


def test_drafts_never_appear(client):
    source = make_source(text="We disrupted 12 plots. Threats are rising. Secret figure: 99 things.")
    published = make_statistic(source=source)
    draft = make_statistic(source=source, quote="Secret figure: 99 things.", measure="draft measure", value=99,
                           value_text="99", status=Status.DRAFT)
    draft_judgement = make_assessment(source=source, summary="Draft judgement", status=Status.DRAFT)
    html = get(client, source.speech.slug)
    assert f'id="stat-{published.pk}"' in html
    assert f"stat-{draft.pk}" not in html and "draft measure" not in html
    assert f"assessment-{draft_judgement.pk}" not in html and "Draft judgement" not in html


def test_a_quote_from_another_copy_is_listed_but_not_highlighted(client):
    speech = make_speech()
    make_source(speech=speech, role=Source.Role.PRIMARY, text="We disrupted 12 plots.")
    other = make_source(speech=speech, role=Source.Role.REPUBLICATION, publisher="Other paper",
                        text="We disrupted 12 plots. Only this copy says 7 arrests.")
    statistic = make_statistic(source=other, quote="Only this copy says 7 arrests.", measure="arrests", value=7,
                               value_text="7")
    html = get(client, speech.slug)
    page = Page(html)
    anchor = page.by_id(f"stat-{statistic.pk}")
    assert anchor.tag == "span"
    assert page.by_id(f"figure-{statistic.pk}") in anchor.ancestors()
    assert not [el for el in page.root.iter() if el.tag == "mark" and "7 arrests" in el.text]
    assert "Quoted from Other paper’s republication, not the text shown below" in html
    assert "1 of the quotes above is not highlighted" in html
    assert html.count("Only this copy says 7 arrests.") == 1  # in the list only: the shown text is the primary


def test_passages_cut_crossing_highlights_into_nested_pieces():
    text = "Alpha beta gamma delta.\n\nEpsilon zeta."
    marks = [
        passages.Highlight(anchor="a", quote="Alpha beta gamma", backref="#x-a", label="A"),
        passages.Highlight(anchor="b", quote="gamma delta.\n\nEpsilon", backref="#x-b", label="B"),
    ]
    result = passages.render(text, marks)
    assert result.placed == {"a", "b"}
    html = "".join(paragraph.html for paragraph in result.paragraphs)
    page = Page(html)
    assert page.by_id("a").text == "Alpha beta gamma"
    assert page.by_id("b").text == "gamma"
    assert page.by_id("b").parent is page.by_id("a")
    continued = [el for el in page.root.iter() if "hl-cont" in el.attrs.get("class", "")]
    assert [el.text for el in continued] == [" delta.", "Epsilon"]
    assert html.index('href="#x-b"') > html.index("Epsilon")


# ---------------------------------------------------------------- queries


@pytest.mark.parametrize("slug", SEEDED)
def test_query_count_is_fixed(client, seeded, slug, django_assert_num_queries):
    """Eight queries for any briefing, however many figures, judgements and sources it has:
    1 the briefing with its speaker (select_related); 3 its threats, countries and sources
    (prefetch_related); 1 its published statistics and 1 its published assessments, each
    with threat and source joined in (the source's text deferred); 1 the previous and 1 the
    next briefing in time (and for the newest dated briefing, after which come the undated,
    1 more for the first of those). Highlighting, paragraphs and the similarity of copies are
    computed in Python from the sources already fetched."""
    newest_dated = Speech.objects.published().exclude(date=None).order_by("-date", "-title", "-pk").first()
    with django_assert_num_queries(9 if slug == newest_dated.slug else 8):
        client.get(f"/briefings/{slug}/")
