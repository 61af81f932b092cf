"""Pieces of the public pages' frame that are the same on every page in one language: the
stylesheet and script links, the site's name, the footer with its links to every service.

They are rendered once per process, language and script prefix and kept in memory: what they are
made of (translations, the URLconf, the static files' hashed names, the registered public links)
does not change while the process runs, and rendering them on every page cost about a tenth of a
status lookup. Nothing of a visitor's (no CSRF token, no path, no text size) is in a part; what
depends on the page (the title, the 长辈版 switch with its return address, the other language's
address) stays in ``base.html``."""

from __future__ import annotations

from django.conf import settings
from django.core.signals import setting_changed
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

_RENDERED: dict[tuple[str, str, str], SafeString] = {}


def frame_part_html(template_name: str, context: dict | None = None) -> SafeString:
    """``template_name`` rendered with ``context`` (which must be the same for every page in one
    language) in the current language, from memory after the first time."""
    key = (template_name, get_language() or settings.LANGUAGE_CODE, get_script_prefix())
    html = _RENDERED.get(key)
    if html is None:
        html = _RENDERED[key] = mark_safe(render_to_string(template_name, context).strip())
    return html


def frame_parts_forget() -> None:
    """Render every part again from now on (a public link was registered, a test changed a setting)."""
    _RENDERED.clear()


def _forget_when_settings_change(**_kwargs) -> None:
    # Tests change languages, URLconfs and storages while the process runs; a server never does.
    frame_parts_forget()


setting_changed.connect(_forget_when_settings_change, dispatch_uid="jiedao.lib.frame_parts")
