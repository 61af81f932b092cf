"""Whose phones a notice may be pushed to: the residents of some neighbourhoods or blocks.

The household roster of the renovation blocks keeps names and ID numbers but no phones; the
phones the subdistrict holds for its residents belong to the services (the subsidy's applicants
and their proxies, ...). A service that may lend its residents' phones to an SMS push registers a
function here in its ``AppConfig.ready``: (neighbourhood ids, block ids) → phones. The notice app
asks ``resident_phones``, never the services themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

PhoneSource = Callable[[Sequence[int], Sequence[int]], Iterable[str]]

_SOURCES: list[PhoneSource] = []


def resident_phone_source_register(source: PhoneSource) -> PhoneSource:
    if source not in _SOURCES:
        _SOURCES.append(source)
    return source


def resident_phones(*, neighbourhood_ids: Sequence[int], block_ids: Sequence[int]) -> list[str]:
    """Every registered source's phones for these places, each once, in a stable order."""
    seen: dict[str, None] = {}
    for source in tuple(_SOURCES):
        for phone in source(neighbourhood_ids, block_ids):
            if phone and not phone.startswith("x"):
                seen.setdefault(phone, None)
    return list(seen)
