"""The public services a resident can reach from every page's footer (活动报名, 公示, 社区要闻, …).

Each service registers its public entry in its ``AppConfig.ready``; the public frame lists what is
registered (``lib.context_processors.public_page``), so a new service edits no shared template,
as ``core.staff.staff_link_register`` does for the staff frame.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import get_script_prefix, reverse
from django.utils.translation import get_language

from jiedao.lib.frame_parts import frame_parts_forget


@dataclass(frozen=True)
class PublicLink:
    url_name: str
    label: object  # a lazy translation


_PUBLIC_LINKS: list[PublicLink] = []
# The footer of every public page, per language and script prefix: reversing the addresses and
# translating the labels on each page cost a twentieth of a status lookup. Registrations happen
# in AppConfig.ready, before any page, and the URLconf never changes while the process runs.
_BY_LANGUAGE: dict[tuple[str | None, str], list[tuple[str, str]]] = {}


def public_link_register(url_name: str, label) -> None:
    if all(link.url_name != url_name for link in _PUBLIC_LINKS):
        _PUBLIC_LINKS.append(PublicLink(url_name, label))
        _BY_LANGUAGE.clear()
        frame_parts_forget()


def public_links() -> list[tuple[str, str]]:
    """(address in the current language, label) of every registered public service."""
    key = (get_language(), get_script_prefix())
    links = _BY_LANGUAGE.get(key)
    if links is None:
        links = _BY_LANGUAGE[key] = [(reverse(link.url_name), str(link.label)) for link in _PUBLIC_LINKS]
    return links
