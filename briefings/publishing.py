"""Publishing a briefing: a draft briefing (a new import) goes public when a curator says so,
and publishing one whose figures or judgements are still drafts asks first, since those
drafts stay hidden once the briefing is public (usually a review was forgotten)."""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from .models import Assessment, Speech, Statistic, Status


def pending_drafts(speech):
    """How many of the briefing's figures and judgements are drafts still to be reviewed."""
    return sum(model.objects.filter(speech=speech, status=Status.DRAFT).count() for model in (Statistic, Assessment))


def publish(speech, reason):
    speech.status = Status.PUBLISHED
    speech._change_reason = reason
    speech.save(update_fields=["status"])


class SpeechForm(forms.ModelForm):
    """The briefing's change form: publishing with drafts pending needs "publish anyway" ticked."""

    publish_anyway = forms.BooleanField(
        required=False, label="Publish anyway",
        help_text="Tick to publish although some of its figures or judgements are still drafts (they stay hidden).",
    )

    class Meta:
        model = Speech
        fields = ["slug", "title", "date", "date_inferred", "date_basis", "kind", "speaker", "venue", "summary", "threats",
                  "countries", "status"]

    def clean(self):
        cleaned = super().clean()
        going_public = cleaned.get("status") == Status.PUBLISHED and self.instance.status != Status.PUBLISHED
        if going_public and self.instance.pk and not cleaned.get("publish_anyway"):
            pending = pending_drafts(self.instance)
            if pending:
                self.add_error("status", (
                    f"{pending} of this briefing's figures and judgements are still drafts. Review them first "
                    "(“Review drafts”), or tick “Publish anyway” to publish the briefing without them."
                ))
        return cleaned


class PublishBriefings:
    """The briefing list's publish action. Briefings with drafts pending are listed on a
    confirmation page first; the others are published at once."""

    actions = ["publish_briefings"]

    @admin.action(description="Publish the selected briefings", permissions=["change"])
    def publish_briefings(self, request, queryset):
        drafts = list(queryset.exclude(status=Status.PUBLISHED))
        waiting = [(speech, pending_drafts(speech)) for speech in drafts]
        with_drafts = [(speech, pending) for speech, pending in waiting if pending]
        if with_drafts and request.POST.get("confirmed") != "yes":
            context = {
                **self.admin_site.each_context(request), "opts": self.model._meta, "title": "Publish with drafts pending?",
                "with_drafts": with_drafts, "speeches": drafts, "action": "publish_briefings",
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/briefings/speech/publish_confirm.html", context)
        for speech in drafts:
            publish(speech, "Published from the list")
        self.message_user(request, f"Published {len(drafts)} briefing(s).", messages.SUCCESS)
        return None
