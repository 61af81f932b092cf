from django import template

from jiedao.core import formatting
from jiedao.reports.selectors import match_from_annotations

register = template.Library()


@register.filter
def error_list(form):
    """(anchor, message) pairs for the error summary at the top of a page."""
    if form is None or not form.is_bound:
        return []
    pairs = [(None, message) for message in form.non_field_errors()]
    for name, messages in form.errors.items():
        if name == "__all__":
            continue
        pairs.extend((f"field-{form.add_prefix(name)}", message) for message in messages)
    return pairs


@register.filter
def page_error_list(pages):
    return [(f"page-{page['number']}", page["error"]) for page in pages if page["error"]]


@register.filter
def names(items):
    """Display names joined with the language's list separator (、 or a comma)."""
    return formatting.join_names(items)


@register.simple_tag
def colon():
    return formatting.colon()


@register.filter
def parenthesised(text):
    return formatting.parenthesised(text)


@register.filter
def address_of(answers):
    return formatting.format_address(
        answers.get("address_road", ""),
        answers.get("address_lane", ""),
        answers.get("address_number", ""),
        answers.get("address_room", ""),
    )


@register.filter
def page_label(document_type, page):
    return document_type.page_label(page)


@register.filter
def split(text):
    return text.split()


@register.filter
def field(form, name):
    return form[name]


@register.filter
def roster_match(application):
    """The roster match of a queue row annotated by ``reports.selectors.with_roster_match``."""
    if not hasattr(application, "on_roster"):
        return None
    return match_from_annotations(application.on_roster, application.roster_complete)
