"""Reads about programmes and applications that are more than a ``.get()``."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from jiedao.core.normalize import normalize_phone, normalize_reference

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
    # Only what the state-only answer shows (and the check needs): compiling the SELECT of four
    # joined tables' every column cost more than the query itself. A page that shows more (the
    # details, once a code was typed) loads the rest as it uses it.
    application = (
        Application.objects.only("id", "reference", "status", "phone", "proxy_phone", "programme_id")
        .filter(reference=reference)
        .first()
    )
    if application is None or phone not in {application.phone, application.proxy_phone}:
        return None
    return application
