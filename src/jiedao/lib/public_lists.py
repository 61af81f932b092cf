"""Lists made from a service's data for a public notice (公示), and the checks before one is shown.

A subdistrict posts, for example, the approved applicants of the hardship subsidy before paying
them. The notice app (``bulletins``) may not import the service that owns the data, and the
service must decide what of its data may be shown: so a service registers a ``ListSource`` in its
``AppConfig.ready`` (a name, a label, the column headings and a function that returns the rows,
already masked), and the notice app asks the registry. Before a list is published, every cell is
checked once more here: a cell that looks like an ID number, or that names an illness, refuses the
whole list (``public_cells_problems``), whatever the source.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ListRow:
    # The person the row is about, for the objection route and payment holds; never shown.
    key: str
    cells: tuple[str, ...]


@dataclass(frozen=True)
class ListSource:
    name: str
    label: object
    columns: tuple[object, ...]
    # (period, neighbourhood ids or None for all) → rows of public fields, already masked.
    rows: Callable[[str, Sequence[int] | None], list[ListRow]]
    # Words of this service that are health data (its illness categories): never in a list.
    health_terms: Callable[[], Iterable[str]] = field(default=lambda: ())
    period_help: object = ""


_SOURCES: dict[str, ListSource] = {}


def list_source_register(source: ListSource) -> ListSource:
    _SOURCES[source.name] = source
    return source


def list_sources() -> list[ListSource]:
    return list(_SOURCES.values())


def list_source(name: str) -> ListSource | None:
    return _SOURCES.get(name)


# Eighteen characters of an ID number (17 digits and a digit or X), not inside a longer number;
# spaces or dashes between the groups count too (310106 19500101 123X).
ID_NUMBER_LIKE = re.compile(r"(?<![0-9])(?:[0-9][\s-]?){17}[0-9Xx](?![0-9])")
# Words that say what illness someone has: health data, never on a notice board (PIPL art. 28).
HEALTH_WORDS = ("病", "癌", "肿瘤", "精神障碍", "精神疾病", "艾滋", "HIV", "尿毒症", "透析", "白血病", "瘫痪", "诊断")


@dataclass(frozen=True)
class CellProblem:
    row: int  # 1-based
    column: int  # 1-based
    kind: str  # "id_number" or "health"


def public_cells_problems(rows: Iterable[Sequence[str]], *, health_terms: Iterable[str] = ()) -> list[CellProblem]:
    """Every cell that must not be shown: one that looks like an ID number, or names an illness
    (the generic words above and the source's own health categories)."""
    terms = tuple(t for t in (*HEALTH_WORDS, *health_terms) if t)
    problems = []
    for r, cells in enumerate(rows, start=1):
        for c, cell in enumerate(cells, start=1):
            text = str(cell)
            if ID_NUMBER_LIKE.search(text):
                problems.append(CellProblem(r, c, "id_number"))
            elif any(term in text for term in terms):
                problems.append(CellProblem(r, c, "health"))
    return problems
