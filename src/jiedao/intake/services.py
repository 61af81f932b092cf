"""Writes of the intake side: storing photos, keeping drafts, submitting an application.

``application_submit`` is the one way an application comes into being, for the public form, staff
filing and the partner API alike. Photos are processed and stored before the transaction (slow
work outside the write lock); the application, its documents and its first history entry are then
written in one transaction, so a failure leaves either a whole application or none.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from pypinyin import lazy_pinyin

from jiedao.core.audit import audit_record
from jiedao.core.models import AuditAction
from jiedao.lib.errors import (
    DomainError,
    DuplicateApplication,
    ProgrammeClosed,
    StorageUnavailable,
    ValidationFailed,
)
from jiedao.lib.ratelimit import Limit, Rate, address_key

from .events import CaseEvent, CaseEventKind, case_events
from .forms import clean_answers, extra_answers
from .models import (
    Application,
    ApplicationEvent,
    Channel,
    Document,
    DocumentType,
    Draft,
    DraftPhoto,
    Programme,
    ReferenceCounter,
)
from .photos import ProcessedPhoto
from .selectors import missing_pages, open_application_for, required_documents

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredPhoto:
    """A processed photo already in storage, ready to become one page of a document."""

    document_code: str
    page: int
    name: str
    width: int
    height: int
    size: int


def photo_store(photo: ProcessedPhoto) -> str:
    """Save a processed JPEG under a random, server-made name and return that name."""
    today = timezone.localdate()
    name = f"photos/{today:%Y/%m}/{uuid.uuid4().hex}.jpg"
    try:
        return default_storage.save(name, ContentFile(photo.content))
    # A full disk raises OSError, an object store botocore's own errors: either way the person is
    # told to try again, and what they typed and the photos already kept stay where they are.
    except Exception as error:  # noqa: BLE001
        logger.error("could not store a photo: %s: %s", type(error).__name__, error)
        raise StorageUnavailable(_("照片暂时无法保存，请稍后再试。已填写的内容和已保存的照片都还在。")) from error


@contextmanager
def photos_stored():
    """``store(photo) -> name`` for the block; every photo it stored is deleted again if the block
    raises, so a failed write leaves no file behind."""
    names: list[str] = []

    def store(photo: ProcessedPhoto) -> str:
        names.append(photo_store(photo))
        return names[-1]

    try:
        yield store
    except BaseException:
        for name in names:
            photo_delete(name)
        raise


def photo_delete(name: str) -> None:
    try:
        default_storage.delete(name)
    # A file already gone is what we wanted. One that cannot be deleted now (a disk error, or an
    # object store's AccessDenied / unreachable endpoint, which botocore raises as non-OSErrors)
    # must not fail the caller: `jiedao documents sweep` removes it later.
    except Exception as error:  # noqa: BLE001
        logger.warning("could not delete stored photo %s: %s", name, type(error).__name__)


def name_pinyin(name: str) -> tuple[str, str]:
    """Full pinyin and initials for search: 张志远 → ("zhangzhiyuan", "zzy"); Zhang Wei → ("zhangwei", "zw")."""
    syllables: list[str] = []
    for chunk in lazy_pinyin(name, errors="default"):
        # Chinese characters come back one syllable each; Latin text comes back as typed.
        syllables.extend(word.lower() for word in re.findall(r"[A-Za-z]+", chunk))
    return "".join(syllables), "".join(s[0] for s in syllables)


def _next_reference(programme: Programme, now: dt.datetime) -> str:
    year = timezone.localtime(now).year  # the Shanghai year, also in the first hours of 1 January
    ReferenceCounter.objects.get_or_create(programme=programme, year=year)
    # The UPDATE takes the row lock (PostgreSQL) or the database write lock (SQLite) until commit,
    # so two submissions can never read the same number.
    ReferenceCounter.objects.filter(programme=programme, year=year).update(last=F("last") + 1)
    sequence = ReferenceCounter.objects.get(programme=programme, year=year).last
    return f"{programme.code.upper()}-{year}-{sequence:05d}"


def _duplicate_error(existing: Application) -> DuplicateApplication:
    # The message names nothing of the existing case: the desks say more where their reader may
    # know it (wizard.duplicate_message; the API for the partner that filed it).
    return DuplicateApplication(
        _("这个身份证号码现在不能用于新的申请。"), reference=existing.reference, application=existing
    )


def duplicate_check_limit(address: str) -> Limit:
    """How often one client address may have an ID number checked for an open case."""
    return Limit(
        f"duplicate-check:address:{address_key(address)}",
        Rate.parse(settings.JIEDAO_DUPLICATE_CHECK_ADDRESS_LIMITS),
    )


def application_submit(
    *,
    programme: Programme,
    answers: dict,
    photos: Sequence[StoredPhoto],
    channel: str = Channel.ONLINE,
    filed_by=None,
    idempotency_key: str | None = None,
    now: dt.datetime | None = None,
    on_created: Callable[[Application], object] | None = None,
) -> Application:
    """Create an application from a complete set of answers and stored photos.

    Raises ``ValidationFailed`` (field → messages), ``ProgrammeClosed`` or
    ``DuplicateApplication``. The same ``idempotency_key`` returns the first application again.
    ``on_created`` writes what the caller adds to a new application (a staff filing's audit
    entry, a partner's link) in its transaction; the checks before it run outside, so SQLite's
    write lock is held only for the writes.
    """
    now = now or timezone.now()
    if idempotency_key and (earlier := Application.objects.filter(idempotency_key=idempotency_key).first()):
        return earlier
    if not programme.is_open(timezone.localtime(now).date()):
        raise ProgrammeClosed(_("这个项目现在不在受理时间内。"))

    kind = programme.kind
    cleaned, errors = clean_answers(programme, answers)
    consent = kind.consent_form(answers, programme=programme)
    if not consent.is_valid():
        for field, messages in consent.errors.items():
            errors.setdefault(field, []).extend(str(m) for m in messages)
    if channel not in Channel.values:
        errors.setdefault("channel", []).append(_("申请渠道不正确。"))
    if errors:
        raise ValidationFailed(errors)

    documents = required_documents(programme, cleaned.get("categories", []))
    by_code = {doc.code: doc for doc in DocumentType.objects.filter(programme=programme)}
    photo_rows = []
    for photo in photos:
        doc = by_code.get(photo.document_code)
        if doc is None or not 1 <= photo.page <= doc.pages:
            raise ValidationFailed({f"doc_{photo.document_code}": [_("这份材料不属于本项目。")]})
        photo_rows.append((doc, photo))
    absent = missing_pages(documents, {(doc.id, photo.page) for doc, photo in photo_rows})
    if absent:
        raise ValidationFailed(
            {
                f"doc_{gap.document_type.code}": [
                    _("还缺少材料：%(document)s %(page)s")
                    % {"document": gap.document_type.display_name, "page": gap.document_type.page_label(gap.page)}
                ]
                for gap in absent
            }
        )

    id_number = cleaned.get("id_number", "")
    if id_number and (existing := open_application_for(programme, id_number)):
        raise _duplicate_error(existing)

    is_proxy = cleaned.get("who") == "proxy"
    if channel == Channel.ONLINE and is_proxy:
        channel = Channel.PROXY
    pinyin, initials = name_pinyin(cleaned["name"])
    neighbourhood = programme.neighbourhoods.get(code=cleaned["neighbourhood"])
    block = programme.blocks.get(code=cleaned["block"]) if cleaned.get("block") else None
    try:
        with transaction.atomic():
            application = Application.objects.create(
                reference=_next_reference(programme, now),
                programme=programme,
                status=kind.lifecycle.initial,
                applicant_name=cleaned["name"],
                name_pinyin=pinyin,
                name_initials=initials,
                id_number=id_number,  # encrypted and hashed by the model's setter
                phone=cleaned["phone"],
                address_road=cleaned.get("address_road", ""),
                address_lane=cleaned.get("address_lane", ""),
                address_number=cleaned.get("address_number", ""),
                address_room=cleaned.get("address_room", ""),
                neighbourhood=neighbourhood,
                block=block,
                household_note=cleaned.get("household_note", ""),
                extra_answers=extra_answers(programme, cleaned),
                channel=channel,
                proxy_name=cleaned.get("proxy_name", "") if is_proxy else "",
                proxy_phone=cleaned.get("proxy_phone", "") if is_proxy else "",
                proxy_relationship=cleaned.get("proxy_relationship", "") if is_proxy else "",
                filed_by=filed_by,
                consent_version=settings.JIEDAO_CONSENT_VERSION,
                consent_at=now,
                sensitive_consent_at=now if "sensitive_consent" in consent.fields else None,
                idempotency_key=idempotency_key,
                submitted_at=now,
            )
            categories = list(programme.categories.filter(code__in=cleaned.get("categories", [])))
            if categories:
                application.categories.set(categories)
            Document.objects.bulk_create(
                Document(
                    application=application,
                    document_type=doc,
                    page=photo.page,
                    file=photo.name,
                    width=photo.width,
                    height=photo.height,
                    size=photo.size,
                    created_at=now,
                )
                for doc, photo in photo_rows
            )
            ApplicationEvent.objects.create(
                application=application,
                at=now,
                from_status="",
                to_status=application.status,
                actor=filed_by,
                channel=channel,
            )
            # In the same transaction: no application without its tallies and its notice, and no
            # notice without an application (the subscribers are listed in intake.apps).
            case_events.publish(
                CaseEvent(
                    kind=CaseEventKind.SUBMITTED,
                    application=application,
                    at=now,
                    actor=filed_by,
                    categories=tuple(categories),
                )
            )
            if on_created is not None:
                on_created(application)
    except IntegrityError:
        # Lost a race: a double-clicked submit or a second device. Answer as the winner did.
        if idempotency_key and (earlier := Application.objects.filter(idempotency_key=idempotency_key).first()):
            return earlier
        if id_number and (existing := open_application_for(programme, id_number)):
            raise _duplicate_error(existing) from None
        raise
    return application


def application_submit_uploads(*, programme: Programme, answers: dict, uploads, **kwargs) -> Application:
    """Submit with photos that are not stored yet: ``uploads`` is (document_code, page, ProcessedPhoto).

    Stored photos are deleted again if the submission fails, so nothing is left behind.
    """
    with photos_stored() as store:
        stored = [
            StoredPhoto(code, page, store(photo), photo.width, photo.height, len(photo.content))
            for code, page, photo in uploads
        ]
        application = application_submit(programme=programme, answers=answers, photos=stored, **kwargs)
    # An idempotent replay returns the first application; the photos of this request are spare.
    used = set(application.documents.values_list("file", flat=True))
    for photo in stored:
        if photo.name not in used:
            photo_delete(photo.name)
    return application


# Drafts: the answers and photos of an application that is not submitted yet.


def draft_start(*, programme: Programme, filed_by=None) -> Draft:
    if not programme.is_open():
        raise ProgrammeClosed(_("这个项目现在不在受理时间内。"))
    return Draft.objects.create(programme=programme, filed_by=filed_by)


def draft_save_answers(*, draft: Draft, answers: dict) -> Draft:
    draft.answers = {**draft.answers, **answers}
    draft.save(update_fields=["answers", "updated_at"])
    return draft


def draft_put_photo(*, draft: Draft, document_type: DocumentType, page: int, photo: ProcessedPhoto) -> DraftPhoto:
    """Keep one processed photo for a page of a document, replacing an earlier one."""
    if document_type.programme_id != draft.programme_id or not 1 <= page <= document_type.pages:
        raise DomainError(_("这份材料不属于本项目。"), code="unknown_document")
    with photos_stored() as store:
        name = store(photo)
        with transaction.atomic():
            previous = DraftPhoto.objects.filter(draft=draft, document_type=document_type, page=page).first()
            if previous:
                old_name = previous.file.name
                previous.delete()
                transaction.on_commit(lambda: _delete_unless_used(old_name))
            draft_photo = DraftPhoto.objects.create(
                draft=draft,
                document_type=document_type,
                page=page,
                file=name,
                width=photo.width,
                height=photo.height,
                size=len(photo.content),
            )
            Draft.objects.filter(pk=draft.pk).update(updated_at=timezone.now())
    return draft_photo


def _delete_unless_used(name: str) -> None:
    if not Document.objects.filter(file=name).exists() and not DraftPhoto.objects.filter(file=name).exists():
        photo_delete(name)


def draft_stored_photos(draft: Draft, *, only: set[int] | None = None) -> list[StoredPhoto]:
    """The draft's photos; with ``only``, just those of these document type ids."""
    return [
        StoredPhoto(p.document_type.code, p.page, p.file.name, p.width, p.height, p.size)
        for p in draft.photos.select_related("document_type").order_by("document_type__order", "page")
        if only is None or p.document_type_id in only
    ]


def draft_submit(
    *, draft: Draft, answers: dict, channel: str = Channel.ONLINE, filed_by=None, ip: str | None = None
) -> Application:
    """Submit a draft once: a second submit of the same draft (a double click) returns the first.

    A draft filed by staff writes the filing's audit entry in the submission's transaction."""
    if draft.application_id:
        return draft.application
    # Photos of documents no longer needed (a category unticked later) are not sent in.
    needed = {doc.id for doc in required_documents(draft.programme, draft.answers.get("categories", []))}
    photos = draft_stored_photos(draft, only=needed)

    def filed(application: Application) -> None:
        Draft.objects.filter(pk=draft.pk).update(application=application, updated_at=timezone.now())
        if filed_by is not None:
            audit_record(
                actor=filed_by,
                action=AuditAction.FILE_APPLICATION,
                reference=application.reference,
                ip=ip,
                channel=application.channel,
            )

    application = application_submit(
        programme=draft.programme,
        answers={**draft.answers, **answers},
        photos=photos,
        channel=channel,
        filed_by=filed_by,
        idempotency_key=f"draft:{draft.pk}",
        on_created=filed,
    )
    draft.application = application
    return application


def drafts_purge(*, older_than: dt.timedelta, now: dt.datetime | None = None) -> int:
    """Delete drafts untouched for ``older_than`` and the photos no application uses."""
    cutoff = (now or timezone.now()) - older_than
    stale = Draft.objects.filter(updated_at__lt=cutoff)
    names = list(DraftPhoto.objects.filter(draft__in=stale).values_list("file", flat=True))
    count = stale.count()
    stale.delete()
    for name in names:
        _delete_unless_used(name)
    return count
