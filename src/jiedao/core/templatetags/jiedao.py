from django import template
from django.utils.html import format_html

from jiedao.lib import formatting
from jiedao.lib.frame_parts import frame_part_html
from jiedao.lib.public_links import public_links

register = template.Library()


@register.simple_tag
def frame_part(template_name):
    """A piece of the public frame that every page in one language shares (``lib.frame_parts``):
    rendered once, with the registered public services' links as ``public_links``."""
    return frame_part_html(template_name, {"public_links": public_links})


@register.filter
def error_list(form):
    """(anchor, message) pairs for the error summary at the top of a page."""
    if form is None or not form.is_bound:
        return []
    pairs = [(None, message) for message in form.non_field_errors()]
    for name, messages in form.errors.items():
        if name == "__all__":
            continue
        anchor = f"field-{form[name].auto_id}" if name in form.fields else f"field-{form.add_prefix(name)}"
        pairs.extend((anchor, message) for message in messages)
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
def id_groups(number):
    """An 18-character ID number as a resident reads it off the card: 6-8-4 (region, birth date,
    serial and check character), e.g. ``310106 19500101 123X``, each group a span that CSS keeps
    on one line (a narrow screen in 长辈版 may wrap between groups, never inside one). Anything
    else is shown as it is."""
    number = str(number or "")
    if len(number) != 18:
        return number
    return format_html(
        '<span class="id-group">{}</span> <span class="id-group">{}</span> <span class="id-group">{}</span>',
        number[:6],
        number[6:14],
        number[14:],
    )
