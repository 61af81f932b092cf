from django import template

from jiedao.reports.selectors import match_from_annotations

register = template.Library()


@register.filter
def roster_match(application):
    """The roster match of a queue row annotated by ``reports.selectors.with_roster_match``."""
    if not hasattr(application, "on_roster"):
        return None
    return match_from_annotations(application.on_roster, application.roster_complete)
