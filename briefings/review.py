"""Reviewing a briefing's draft figures (staff only): /briefings/<slug>/review/.

Each draft statistic is shown inside the paragraph its quote stands in, with its measure, value
as written, value, unit and threat in a small form and three buttons: accept (publish it),
save (keep the edit, still a draft) and reject (delete it). With htmx each answer replaces
just that draft and updates the count of drafts left; without JavaScript the same forms post
and come back to the page. Every button is a real button, so the page is worked from the
keyboard (Tab to a draft's fields, Enter or Space on a button); after an answer, focus moves
to the next draft (static/js/review.js).

A save carries the version the draft was opened at and is refused, with what changed, when
someone saved it since (the same check as the admin's; `save_reviewed` is the one place to
switch to a shared versioned save).
"""

from django import forms
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods, require_POST

from . import passages
from .admin import conflict_message
from .models import EditConflict, Speech, Statistic, Status, ThreatCategory
from .publishing import pending_drafts, publish


class DraftForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Statistic
        fields = ["measure", "value_text", "value", "unit", "threat"]


def drafts_by_paragraph(speech):
    """The briefing's sources, each as [(paragraph number, paragraph text, [draft statistics])],
    only the paragraphs holding a draft; and the drafts whose quote was not found (none, normally)."""
    drafts = list(Statistic.objects.filter(speech=speech, status=Status.DRAFT).select_related("source", "threat"))
    by_source, unplaced = {}, []
    for draft in drafts:
        by_source.setdefault(draft.source, []).append(draft)
    sections = []
    for source, items in by_source.items():
        spans = passages.paragraph_spans(source.text)
        paragraphs = {}
        for draft in items:
            found = passages.find_quote(draft.quote, source.text)
            number = next((n for n, (start, end) in enumerate(spans, 1) if found and start <= found[0] < end), None)
            if number is None:
                unplaced.append(draft)
                continue
            paragraphs.setdefault(number, []).append(draft)
        rows = [(number, source.text[spans[number - 1][0]:spans[number - 1][1]], paragraphs[number])
                for number in sorted(paragraphs)]
        sections.append((source, rows))
    return sections, unplaced


def _check_reviewer(request, speech):
    if not request.user.has_perm("briefings.change_statistic"):
        raise PermissionDenied


def threat_choices():
    """The threat options every draft's form offers, read once for the whole page."""
    return [("", "---------"), *((c.pk, str(c)) for c in ThreatCategory.objects.select_related("parent"))]


def _fresh_form(draft, choices=None):
    form = DraftForm(instance=draft, initial={"version": draft.version}, prefix=f"d{draft.pk}")
    form.fields["threat"].choices = choices or threat_choices()
    return form


def _page(request, speech, **extra):
    sections, unplaced = drafts_by_paragraph(speech)
    choices = threat_choices()
    for draft in [*unplaced, *(d for _source, rows in sections for _n, _text, drafts in rows for d in drafts)]:
        draft.form = _fresh_form(draft, choices)
    context = {"speech": speech, "sections": sections, "unplaced": unplaced, "left": pending_drafts(speech), **extra}
    return render(request, "briefings/review_drafts.html", context)


@staff_member_required
@require_http_methods(["GET"])
def review_drafts(request, slug):
    speech = get_object_or_404(Speech.objects.select_related("speaker"), slug=slug)
    _check_reviewer(request, speech)
    return _page(request, speech)


def save_reviewed(draft, opened_at, apply):
    """Apply a reviewer's answer to a draft unless someone saved it since `opened_at`, through the
    one version check every write uses (`CuratedItem.check_version`: the row alone locked until the
    transaction ends). Raises ValidationError."""
    with transaction.atomic():
        draft.version = opened_at
        try:
            if draft.check_version() is None:
                raise ValidationError("Someone deleted this draft meanwhile.")
        except EditConflict:
            raise ValidationError(conflict_message(draft, opened_at)) from None
        apply(draft)


@staff_member_required
@require_POST
def answer_draft(request, slug, pk):
    """accept, save or reject one draft; answers htmx with the draft's new state and the count."""
    draft = get_object_or_404(Statistic.objects.select_related("speech", "source"), pk=pk, speech__slug=slug,
                              status=Status.DRAFT)
    _check_reviewer(request, draft.speech)
    action = request.POST.get("action")
    form = DraftForm(request.POST, instance=draft, prefix=f"d{draft.pk}")
    outcome, error = None, None
    if action not in ("accept", "save", "reject"):
        error = "Choose accept, save or reject."
    elif action == "reject" or form.is_valid():
        opened_at = int(request.POST.get(f"d{draft.pk}-version") or 0)

        def apply(statistic):
            if action == "reject":
                statistic.delete()
                return
            if action == "accept":
                statistic.status = Status.PUBLISHED
            statistic.full_clean()
            statistic._change_reason = f"{'Accepted' if action == 'accept' else 'Edited'} on the review page"
            statistic.save()

        try:
            save_reviewed(draft, opened_at, apply)
            outcome = {"accept": "accepted", "save": "saved", "reject": "rejected"}[action]
        except ValidationError as problem:
            error = " ".join(problem.messages)
            draft.version = Statistic.objects.filter(pk=draft.pk).values_list("version", flat=True).first() or 0
    else:
        error = " ".join(f"{form.fields[name].label if name in form.fields else ''}: {message}"
                         for name, messages in form.errors.items() for message in messages)
    if not request.htmx:
        return redirect("briefings:review-drafts", slug=slug)
    if outcome == "saved":
        form = _fresh_form(draft)
    elif error:
        # The reviewer's input stays; the form now carries the current version, so saving again overwrites.
        data = request.POST.copy()
        data[f"d{draft.pk}-version"] = draft.version
        form = DraftForm(data, instance=draft, prefix=f"d{draft.pk}")
        form.fields["threat"].choices = threat_choices()
    draft.form = form
    context = {"speech": draft.speech, "draft": draft, "outcome": outcome, "error": error,
               "left": pending_drafts(draft.speech)}
    response = render(request, "briefings/review_drafts.html#answer", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@staff_member_required
@require_POST
def publish_briefing(request, slug):
    """Publish from the review page; with drafts pending, a confirmation first."""
    speech = get_object_or_404(Speech, slug=slug)
    if not request.user.has_perm("briefings.change_speech"):
        raise PermissionDenied
    if pending_drafts(speech) and request.POST.get("confirmed") != "yes":
        return _page(request, speech, confirm_publish=True)
    publish(speech, "Published from the review page")
    return redirect(speech.get_absolute_url())
