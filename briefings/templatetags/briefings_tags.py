from html import escape

from django import template
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
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
    none = "" if row.count else " count-none"
    swap = ' hx-swap-oob="true"' if oob else ""
    return (f'<span class="count{none}" id="count-{escape(group.name)}-{escape(str(row.value))}"{swap}>'
            f'{f"({row.count:d})" if row.count else "(none)"}</span>')


# Written as f-strings with each value escaped, as the cards are (cards.py): format_html's
# lazy-aware escaping of every argument took most of their time.


@register.simple_tag
def facet_options(group):
    """A facet group's options (forms.FacetGroup): radio buttons when one may be chosen, else
    checkboxes; a threat says whether it is a group or under one."""
    kind = "radio" if group.any_label else "checkbox"
    name = escape(group.name)
    options = []
    for row in group.rows:
        level = (' class="child"' if row.item.parent_id else ' class="parent"') if group.name == "threat" else ""
        checked = " checked" if row.selected else ""
        options.append(f'<li{level}><label><input type="{kind}" name="{name}" value="{escape(str(row.value))}"{checked}>'
                       f"\n          {escape(str(row.label))} {_count(group, row)}</label></li>")
    return mark_safe("\n        ".join(options))


@register.simple_tag
def facet_counts_oob(groups):
    """Every option's count, for an htmx response to swap in out of band."""
    return mark_safe("".join(_count(group, row, oob=True) for group in groups for row in group.rows))


@register.simple_tag
def year_options(years, chosen, oldest_first=False):
    """The options of a year select (`years` newest first), with `chosen` selected."""
    return mark_safe("".join(f'<option value="{year:d}"{" selected" if year == chosen else ""}>{year:d}</option>'
                             for year in (reversed(years) if oldest_first else years)))
