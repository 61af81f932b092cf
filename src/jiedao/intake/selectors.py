"""Reads about programmes and applications that are more than a ``.get()``."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from django.db import connection
from django.db.models import QuerySet

from jiedao.core.models import Block, BlockStreet
from jiedao.lib.crypto import id_hash
from jiedao.lib.normalize import normalize_phone, normalize_reference

from .models import Application, DocumentType, Programme


def programmes_for_public() -> QuerySet[Programme]:
    return Programme.objects.prefetch_related("categories")


def required_documents(programme: Programme, category_codes) -> list[DocumentType]:
    """The documents an application needs: the programme's common ones plus each category's."""
    wanted: dict[int, DocumentType] = {doc.id: doc for doc in programme.common_documents.all()}
    for category in programme.categories.filter(code__in=list(category_codes)).prefetch_related("documents"):
        for doc in category.documents.all():
            wanted.setdefault(doc.id, doc)
    return sorted(wanted.values(), key=lambda doc: (doc.order, doc.id))


@dataclass(frozen=True)
class MissingPage:
    document_type: DocumentType
    page: int

    @property
    def field_name(self) -> str:
        """The upload field that sends this page in."""
        return f"doc_{self.document_type.code}_{self.page}"

    @property
    def label(self) -> str:
        return f"{self.document_type.display_name} {self.document_type.page_label(self.page)}".strip()


def missing_pages(documents: list[DocumentType], present: set[tuple[int, int]]) -> list[MissingPage]:
    """Pages of ``documents`` not in ``present`` (a set of (document_type_id, page))."""
    return [
        MissingPage(doc, page)
        for doc in documents
        for page in range(1, doc.pages + 1)
        if (doc.id, page) not in present
    ]


def application_for_resident(reference: str, phone: str) -> Application | None:
    """The application matching both the reference and the phone given, or None.

    Either phone counts (the applicant's or the proxy's): a son who filed for his mother follows
    the case with his own number. A wrong pair and an unknown reference look the same.
    """
    reference = normalize_reference(reference)
    phone = normalize_phone(phone)
    if not reference or not phone:
        return None
    # Only what the state-only answer shows (and the check needs), in one statement written once:
    # building and compiling the ORM's SELECT cost more than running it (a third of a lookup's
    # own time before it was written out). A page that shows more (the details, once a code was
    # typed) loads the rest as it uses it; the programme's service type names the status.
    with connection.cursor() as cursor:
        cursor.execute(_resident_lookup_sql(), [reference])
        row = cursor.fetchone()
    if row is None:
        return None
    application = Application.from_db(connection.alias, _RESIDENT_LOOKUP_FIELDS, row[:-1])
    application.programme = Programme.from_db(
        connection.alias, ["id", "service_type"], [application.programme_id, row[-1]]
    )
    if phone not in {application.phone, application.proxy_phone}:
        return None
    return application


# In the model's field order, which Model.from_db expects of a partial row. The payment date is
# on the state-only page of a paid case.
_RESIDENT_LOOKUP_FIELDS = [
    field.attname
    for field in Application._meta.concrete_fields
    if field.attname in {"id", "reference", "status", "phone", "proxy_phone", "programme_id", "paid_on"}
]


@lru_cache(maxsize=4)
def _resident_lookup_sql_for(vendor: str) -> str:
    quote = connection.ops.quote_name
    application, programme = Application._meta.db_table, Programme._meta.db_table
    columns = ", ".join(f"a.{quote(name)}" for name in _RESIDENT_LOOKUP_FIELDS)
    return (
        f"SELECT {columns}, p.{quote('service_type')} FROM {quote(application)} a"
        f" JOIN {quote(programme)} p ON p.{quote('id')} = a.{quote('programme_id')}"
        f" WHERE a.{quote('reference')} = %s"
    )


def _resident_lookup_sql() -> str:
    return _resident_lookup_sql_for(connection.vendor)


def open_application_for(programme: Programme, id_number: str) -> Application | None:
    """The person's open application in ``programme``, if any: the one duplicate check that the
    wizard's applicant step, the final submit and the API share.

    Returns the case itself (its reference, who filed it, its channel and neighbourhood): each
    caller decides what its reader may be told of it, which for a resident is nothing."""
    if not id_number:
        return None
    # By keyed hash: the stored number is encrypted, and the unique index is on the hash too.
    return (
        Application.objects.select_related("neighbourhood", "filed_by")
        .filter(programme=programme, id_number_hash=id_hash(id_number), status__in=programme.kind.lifecycle.open_statuses)
        .first()
    )


def _plain(text: str) -> str:
    """A road as typed, comparable: full-width folded (NFKC), no spaces."""
    return "".join(unicodedata.normalize("NFKC", text or "").split())


def block_for_address(programme: Programme, road: str, lane: str = "") -> Block | None:
    """The renovation block of the programme that the places data (``BlockStreet``) puts this road
    and lane in, or None when it cannot tell (unknown road, lane outside every range, or ranges of
    two blocks that both cover it: better no answer than a wrong one)."""
    road = _plain(road)
    if not road:
        return None
    digits = re.search(r"\d+", unicodedata.normalize("NFKC", lane or ""))
    lane_number = int(digits.group()) if digits else None
    streets = BlockStreet.objects.filter(block__in=programme.blocks.filter(active=True)).select_related("block")
    found = {street.block for street in streets if _plain(street.road) == road and street.covers(lane_number)}
    return found.pop() if len(found) == 1 else None
