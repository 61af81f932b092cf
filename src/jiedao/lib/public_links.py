"""The public services a resident can reach from every page's footer (活动报名, 公示, 社区要闻, …).

Each service registers its public entry in its ``AppConfig.ready``; the public frame lists what is
registered (the footer, ``templates/includes/frame/footer.html``), so a new service edits no shared template,
as ``core.staff.staff_link_register`` does for the staff frame.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from jiedao.lib.frame_parts import frame_parts_forget


@dataclass(frozen=True)
class PublicLink:
    url_name: str
    label: object  # a lazy translation


_PUBLIC_LINKS: list[PublicLink] = []


def public_link_register(url_name: str, label) -> None:
    if all(link.url_name != url_name for link in _PUBLIC_LINKS):
        _PUBLIC_LINKS.append(PublicLink(url_name, label))
        frame_parts_forget()  # the footer that lists them is rendered once per language


def public_links() -> list[tuple[str, str]]:
    """(address in the current language, label) of every registered public service."""
    return [(reverse(link.url_name), str(link.label)) for link in _PUBLIC_LINKS]
