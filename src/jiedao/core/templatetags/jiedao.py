from django import template

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
