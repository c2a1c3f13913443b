from django import template
from django.utils.dateformat import format as date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def get_item(mapping, key):
    """`counts|get_item:pk`: a dict lookup by a variable key, 0 when absent."""
    return mapping.get(key, 0)


# A briefing's date and a judgement's trend are written here, for the templates ({% briefing_date %},
# {% trend %}) and for the timeline's cards (briefings/cards.py), which are built without the
# template engine.

TREND_MARKS = {"rising": "▲", "falling": "▼", "steady": "▶"}


def date_html(date, inferred=False, basis=""):
    """A briefing's date ("4 March 2024"), saying when it was inferred and from what; or "Undated"."""
    if date is None:
        return mark_safe('<span class="undated">Undated</span>')
    return format_html('<time datetime="{}">{}</time>{}', date.isoformat(), date_format(date, "j F Y"),
                       format_html(' <abbr class="inferred" title="{}">(inferred)</abbr>', basis) if inferred else "")


def trend_html(trend):
    """A judgement's stated trend as an arrow and a word; nothing when none was stated."""
    if trend not in TREND_MARKS:
        return ""
    return format_html('<span class="trend trend-{}">{} {}</span>', trend, TREND_MARKS[trend], trend)


@register.simple_tag
def briefing_date(speech):
    return date_html(speech.date, speech.date_inferred, speech.date_basis)


@register.simple_tag
def trend(assessment):
    return trend_html(assessment.trend)


# The filter panel's options and their counts are written here rather than in its template: a
# timeline page lists about 80 of them, and with an include per count the template engine spent
# more on them than on the rest of the panel (as with the matrix's crowded cells,
# views._matrix_cells).


def _count(group, row, oob=False):
    """A facet option's count, "(n)" or "(none)": shown in the panel, and replaced out of band
    (`oob`) by an htmx response."""
    return format_html('<span class="count{}" id="count-{}-{}"{}>{}</span>', "" if row.count else " count-none",
                       group.name, row.value, mark_safe(' hx-swap-oob="true"') if oob else "",
                       f"({row.count:d})" if row.count else "(none)")


@register.simple_tag
def facet_options(group):
    """A facet group's options (forms.FacetGroup): radio buttons when one may be chosen, else
    checkboxes; a threat says whether it is a group or under one."""
    kind = "radio" if group.any_label else "checkbox"
    return format_html_join("\n        ", '<li{}><label><input type="{}" name="{}" value="{}"{}>\n          {} {}</label></li>', (
        (format_html(' class="{}"', "child" if row.item.parent_id else "parent") if group.name == "threat" else "",
         kind, group.name, row.value, mark_safe(" checked") if row.selected else "", row.label, _count(group, row))
        for row in group.rows
    ))


@register.simple_tag
def facet_counts_oob(groups):
    """Every option's count, for an htmx response to swap in out of band."""
    return format_html_join("", "{}", ((_count(group, row, oob=True),) for group in groups for row in group.rows))


@register.simple_tag
def year_options(years, chosen, oldest_first=False):
    """The options of a year select (`years` newest first), with `chosen` selected."""
    return format_html_join("", '<option value="{}"{}>{}</option>', (
        (year, mark_safe(" selected") if year == chosen else "", year)
        for year in (reversed(years) if oldest_first else years)
    ))
