"""Two curators at once, for real: each race opens two admin pages, then posts both from two
threads released together, each thread with its own database connection and transaction, as two
server workers would. On PostgreSQL the two transactions truly overlap (row locks, deadlock
detection); on SQLite the database serialises them. Either way, every race must end with one
save kept and the other curator told, never a lost edit and never a 500.

Figures: run with `-s` to see each race kind's count of races, lost edits and 500s.
"""

import threading

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import connection
from django.test import Client

from briefings.models import Statistic, Status

from .adminforms import admin_form
from .factories import make_source, make_statistic

RACES = 50
TEXT = "Since 2017 we have disrupted 43 late-stage plots. We run 800 investigations. 12 states are hostile."
REFUSED = "after you opened it"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def statistic():
    return make_statistic(source=make_source(text=TEXT), measure="plots disrupted", value=43, value_text="43",
                          quote="we have disrupted 43 late-stage plots.", status=Status.DRAFT)


def client_for(username, superuser=False):
    if superuser:
        user = User.objects.create_superuser(username, password="a long enough password")
    else:
        call_command("create_curator_group", verbosity=0)
        user = User.objects.create_user(username, password="a long enough password", is_staff=True)
        user.groups.add(Group.objects.get(name="curator"))
    client = Client(raise_request_exception=False)  # a server error is a 500 response, counted below
    client.force_login(user)
    return client


def race(*posts):
    """Post each (client, url, data) from its own thread, all released at once; the responses."""
    barrier = threading.Barrier(len(posts))
    responses = [None] * len(posts)

    def post(index, client, url, data):
        try:
            barrier.wait()
            responses[index] = client.post(url, data)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(index, *args)) for index, args in enumerate(posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


class Tally:
    def __init__(self, kind):
        self.kind, self.races, self.lost, self.errors, self.refused = kind, 0, 0, 0, 0

    def count(self, responses, *, lost):
        self.races += 1
        self.errors += sum(response.status_code >= 500 for response in responses)
        self.refused += sum(response.status_code == 200 and REFUSED in response.content.decode() for response in responses)
        self.lost += bool(lost)

    def report(self):
        print(f"\n{self.kind} on {connection.vendor}: {self.races} races, {self.lost} lost edits, "
              f"{self.errors} responses of 500, {self.refused} saves refused as stale")
        assert (self.races, self.lost, self.errors) == (RACES, 0, 0)


def saved(response):
    return response.status_code == 302


def lost_edit(responses, kept):
    """Two saves from the same version: lost when a curator was told "saved" but the change is not
    there, when both were told so (one overwrote the other), or when neither change is there."""
    told_but_missing = any(saved(response) and not there for response, there in zip(responses, kept, strict=True))
    return told_but_missing or all(saved(response) for response in responses) or not any(kept)


def test_change_form_against_change_form(statistic):
    carol, dave = client_for("carol"), client_for("dave")
    url = f"/admin/briefings/statistic/{statistic.pk}/change/"
    tally = Tally("change form vs change form")
    for round_ in range(RACES):
        by_carol = {**admin_form(carol, url, "statistic_form"), "unit": f"carol {round_}"}
        by_dave = {**admin_form(dave, url, "statistic_form"), "period": f"dave {round_}"}
        responses = race((carol, url, by_carol), (dave, url, by_dave))
        statistic.refresh_from_db()
        kept = [statistic.unit == f"carol {round_}", statistic.period == f"dave {round_}"]
        tally.count(responses, lost=lost_edit(responses, kept))
    tally.report()
    assert tally.refused == RACES  # each race: one kept, the other shown the change


def test_inline_on_the_briefing_page_against_change_form(statistic):
    """The briefing page's inline locks each of the briefing's statistics in turn, then saves the
    briefing; the change form locks its one statistic. When each lock also took the briefing row
    (the default ordering's join), the two deadlocked over a statistic after the first."""
    make_statistic(source=statistic.source, measure="investigations", value=800, value_text="800",
                   quote="We run 800 investigations.", status=Status.DRAFT)
    statistic = make_statistic(source=statistic.source, measure="hostile states", value=12, value_text="12",
                               quote="12 states are hostile.", status=Status.DRAFT)
    eve, carol = client_for("eve", superuser=True), client_for("carol")
    speech_url = f"/admin/briefings/speech/{statistic.speech_id}/change/"
    url = f"/admin/briefings/statistic/{statistic.pk}/change/"
    tally = Tally("inline vs change form")
    for round_ in range(RACES):
        by_eve = admin_form(eve, speech_url, "speech_form")
        assert by_eve["statistics-2-id"] == str(statistic.pk)
        by_eve.update({"statistics-2-unit": f"eve {round_}", "summary": f"Summary {round_}"})
        by_carol = {**admin_form(carol, url, "statistic_form"), "period": f"carol {round_}"}
        responses = race((eve, speech_url, by_eve), (carol, url, by_carol))
        statistic.refresh_from_db()
        kept = [statistic.unit == f"eve {round_}", statistic.period == f"carol {round_}"]
        tally.count(responses, lost=lost_edit(responses, kept))
    tally.report()
    assert tally.refused == RACES


def test_publish_action_against_change_form(statistic):
    carol, dave = client_for("carol"), client_for("dave")
    list_url, url = "/admin/briefings/statistic/", f"/admin/briefings/statistic/{statistic.pk}/change/"
    tally = Tally("bulk publish vs change form")
    for round_ in range(RACES):
        Statistic.objects.filter(pk=statistic.pk).update(status=Status.DRAFT)
        listed = admin_form(carol, list_url, "changelist-form")
        publish = {**listed, "action": "publish", "_selected_action": [str(statistic.pk)]}
        by_dave = {**admin_form(dave, url, "statistic_form"), "unit": f"dave {round_}"}
        action, edit = race((carol, list_url, publish), (dave, url, by_dave))
        statistic.refresh_from_db()
        published, edited = statistic.status == Status.PUBLISHED, statistic.unit == f"dave {round_}"
        # The action saw the row before dave's save; it may publish only if dave's save was then refused.
        lost = (saved(edit) and not edited) or (published and edited) or (not published and not edited)
        if action.status_code == 302:
            follow = carol.get(list_url)
            skipped = any("Skipped" in str(message) for message in follow.context["messages"])
            lost |= published == skipped
        tally.count([action, edit], lost=lost)
    tally.report()
