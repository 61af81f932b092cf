"""The writes of the site register: sites, crews, passes, the gate, refusals, the daily report,
retention. Views, the API, commands and tests all call these.

- **Passes are signed by the server.** The QR code on a worker's phone holds
  ``django.core.signing`` of the pass number, the site and the last valid day, under the
  server's key and a salt of its own: a pass cannot be made or its period stretched without the
  key. The gate still reads the pass row (revoked at once, period as approved now), so a
  screenshot of a revoked pass is refused the minute it is revoked. Typing the 8-character pass
  number is the fallback; it is found among this site's passes only.
- **The gate is idempotent by the phone's key.** Every entry carries a key the phone made
  (``crypto.randomUUID``); the key is unique in the table, so an offline phone that sends the
  same entry three times gets the first answer three times and one row exists.
- **Server time decides.** An entry's time is the server's clock, less the seconds the phone
  says it kept the entry (measured on the phone between recording and sending, so a phone whose
  clock is hours wrong still gives the right time); the phone's own time is kept beside it.
- **Refusals are cases.** A temperature at or above ``JIEDAO_SITES_FEVER_C`` (37.3) or a health
  code that is not green refuses entry, opens a ``Refusal`` and queues an SMS to the committee's
  responsible worker, in the entry's transaction (an SMS outage delays the SMS, never loses it).
  A refusal is closed with a note.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from stdnum.cn import uscc

from jiedao.core.audit import audit_record
from jiedao.lib.case_endings import CaseEnded, case_ended
from jiedao.lib.errors import DomainError, ValidationFailed
from jiedao.lib.formatting import ANONYMISED_NAME
from jiedao.lib.forms import clean_person
from jiedao.lib.links import site_link
from jiedao.lib.validators import validate_id_number, validate_mobile
from jiedao.notices.services import notice_queue_to

from .models import (
    Commitment,
    DailyCount,
    Direction,
    GateEntry,
    HealthCode,
    Outcome,
    PassStatus,
    Refusal,
    Site,
    SitePass,
    SiteStatus,
    SiteWorker,
    Source,
)

logger = logging.getLogger(__name__)

# Audit actions of this service (registered in apps.py).
AUDIT_SITE = "site_change"
AUDIT_PASS = "site_pass"
AUDIT_REFUSAL_CLOSE = "site_refusal_close"
AUDIT_VIEW_PEOPLE = "site_view_people"
AUDIT_COMMITMENT = "site_commitment"
AUDIT_RETENTION = "site_retention"

PASS_SALT = "jiedao.sites.pass"
HUMAN_RANGE = (Decimal("34.0"), Decimal("43.0"))
MAX_OFFLINE_AGE = dt.timedelta(hours=72)


class PassRefused(DomainError):
    code = "pass_refused"


class GateClosed(DomainError):
    code = "gate_closed"


class KeyReused(DomainError):
    code = "key_reused"


def fever_threshold() -> Decimal:
    return Decimal(str(settings.JIEDAO_SITES_FEVER_C))


# --- sites ---------------------------------------------------------------------------------------


def uscc_errors(code: str) -> list[str]:
    try:
        uscc.validate(code)
    except Exception:  # stdnum's InvalidFormat, InvalidLength, InvalidChecksum, InvalidComponent
        return [_("统一社会信用代码不正确：应为18位，最后一位是校验码，请对照营业执照核对。")]
    return []


def site_clean(fields: dict, *, site: Site | None = None) -> dict:
    """The site's fields as a service receives them, cleaned; ``ValidationFailed`` names each error."""
    errors: dict[str, list[str]] = {}
    fields = dict(fields)
    fields["builder_uscc"] = (fields.get("builder_uscc") or "").strip().upper().replace(" ", "").replace("-", "")
    if found := uscc_errors(fields["builder_uscc"]):
        errors["builder_uscc"] = found
    for name in ("manager_phone", "responsible_phone"):
        try:
            fields[name] = validate_mobile(fields.get(name) or "")
        except ValidationError as error:
            errors[name] = list(error.messages)
    code = fields.get("code")
    if code and Site.objects.filter(code=code).exclude(pk=getattr(site, "pk", None)).exists():
        errors["code"] = [_("这个代码已经用过了，请换一个。")]
    if errors:
        raise ValidationFailed(errors)
    return fields


def site_create(*, actor, fields: dict, ip: str | None = None) -> Site:
    fields = site_clean(fields)
    with transaction.atomic():
        site = Site.objects.create(**fields)
        audit_record(actor=actor, action=AUDIT_SITE, reference=site.code, ip=ip, change="create")
    return site


def site_set_status(*, site: Site, status: str, actor, ip: str | None = None, now: dt.datetime | None = None) -> Site:
    if status not in SiteStatus.values:
        raise ValidationFailed({"status": [_("请选择工地状态。")]})
    now = now or timezone.now()
    with transaction.atomic():
        site = Site.objects.select_for_update().get(pk=site.pk)
        site.status = status
        site.finished_on = timezone.localtime(now).date() if status == SiteStatus.FINISHED else None
        site.save(update_fields=["status", "finished_on"])
        audit_record(actor=actor, action=AUDIT_SITE, reference=site.code, ip=ip, change="status", status=status)
    return site


def site_gate_pin_renew(*, site: Site, actor, ip: str | None = None) -> Site:
    """A new gate PIN: every gate phone and device of the site must be opened again with it
    (a lost phone, a gatekeeper who left)."""
    from .models import _gate_pin

    with transaction.atomic():
        site.gate_pin = _gate_pin()
        site.save(update_fields=["gate_pin"])
        audit_record(actor=actor, action=AUDIT_SITE, reference=site.code, ip=ip, change="gate_pin")
    return site


# --- workers -------------------------------------------------------------------------------------


PHOTO_MAX_BYTES = 15 * 1024 * 1024
PHOTO_LONG_EDGE = 800


def worker_photo_process(content: bytes) -> bytes:
    """A worker's photo as kept: upright, RGB, at most 800 px, re-encoded as a fresh JPEG with no
    metadata (no EXIF, no GPS). ``ValidationFailed`` for what is not a photo."""
    import io

    from PIL import Image, ImageOps, UnidentifiedImageError

    if len(content) > PHOTO_MAX_BYTES:
        raise ValidationFailed({"photo": [_("照片太大了，请不超过15MB。")]})
    try:
        with Image.open(io.BytesIO(content)) as image:
            if image.format not in ("JPEG", "PNG", "WEBP") or image.width * image.height > 64_000_000:
                raise ValidationFailed({"photo": [_("照片只能是JPEG、PNG或WebP格式。")]})
            if image.format == "JPEG":
                image.draft("RGB", (PHOTO_LONG_EDGE * 2, PHOTO_LONG_EDGE * 2))
            image = ImageOps.exif_transpose(image).convert("RGB")
            image.thumbnail((PHOTO_LONG_EDGE, PHOTO_LONG_EDGE))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=85)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise ValidationFailed({"photo": [_("这个文件不是能打开的照片，请重新拍照。")]}) from None
    return out.getvalue()


def _photo_store(jpeg: bytes) -> str:
    from django.core.files.storage import default_storage

    return default_storage.save(f"sites/workers/{uuid.uuid4().hex}.jpg", ContentFile(jpeg))


def photo_delete(name: str) -> None:
    from django.core.files.storage import default_storage

    if name:
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("could not delete a site worker's photo")


def worker_register(
    *,
    site: Site,
    name: str,
    id_number: str,
    phone: str,
    trade: str = "",
    health_code: str = "",
    signature: str = "",
    registered_by: str = "manager",
    pass_days: int = 30,
    photo: bytes | None = None,
    now: dt.datetime | None = None,
) -> SiteWorker:
    """A worker of the crew, with a pass request for the next ``pass_days`` days. With a
    ``signature`` (the name typed again under the personnel commitment) it is signed now."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    name, phone, errors = clean_person(name, phone)
    try:
        id_number = validate_id_number(id_number, today=today)
    except ValidationError as error:
        errors["id_number"] = list(error.messages)
    if health_code and health_code not in HealthCode.values:
        errors["health_code"] = [_("请选择今天健康码的颜色。")]
    if signature and not errors.get("name") and signature.strip() != name:
        errors["signature"] = [_("签名要和上面的姓名一致。")]
    if site.status == SiteStatus.FINISHED:
        errors["site"] = [_("这个工程已经完工，不再登记施工人员。")]
    if not errors.get("id_number"):
        from jiedao.lib.crypto import id_hash

        if SiteWorker.objects.filter(site=site, id_number_hash=id_hash(id_number)).exists():
            errors["id_number"] = [_("这个身份证号码已经在本工地登记过了。")]
    jpeg = None
    if photo:
        try:
            jpeg = worker_photo_process(photo)
        except ValidationFailed as failed:
            errors.update(failed.errors)
    if errors:
        raise ValidationFailed(errors)
    stored = _photo_store(jpeg) if jpeg else ""
    try:
        with transaction.atomic():
            worker = SiteWorker(
                site=site, name=name, phone=phone, trade=(trade or "").strip()[:40], health_code=health_code,
                health_code_on=today if health_code else None, registered_by=registered_by, created_at=now, photo=stored,
            )  # fmt: skip
            worker.id_number = id_number
            if signature:
                worker.commitment_signature, worker.commitment_signed_at = name, now
            worker.save()
            SitePass.objects.create(
                site=site, worker=worker, valid_from=today, valid_until=today + dt.timedelta(days=pass_days - 1), created_at=now
            )
    except IntegrityError:
        photo_delete(stored)
        raise ValidationFailed({"id_number": [_("这个身份证号码已经在本工地登记过了。")]}) from None
    except BaseException:
        photo_delete(stored)  # nothing half-made: no photo without its worker
        raise
    return worker


def worker_sign_commitment(*, worker: SiteWorker, signature: str, now: dt.datetime | None = None) -> SiteWorker:
    """The worker signs the personnel commitment on the phone: the name typed again, and the time."""
    if (signature or "").strip() != worker.name:
        raise ValidationFailed({"signature": [_("签名要和登记的姓名一致。")]})
    worker.commitment_signature, worker.commitment_signed_at = worker.name, now or timezone.now()
    worker.save(update_fields=["commitment_signature", "commitment_signed_at"])
    return worker


# --- passes --------------------------------------------------------------------------------------


def pass_token(site_pass: SitePass) -> str:
    """What the QR code holds: the number, site and last day, signed with the server's key."""
    payload = {"n": site_pass.number, "s": site_pass.site.code, "u": site_pass.valid_until.isoformat()}
    return signing.dumps(payload, salt=PASS_SALT, compress=False)


def pass_approve(
    *, site_pass: SitePass, actor, valid_from: dt.date, valid_until: dt.date, ip: str | None = None,
    now: dt.datetime | None = None,
) -> SitePass:  # fmt: skip
    """The committee approves the pass for a period; the worker gets the link to it by SMS."""
    now = now or timezone.now()
    if valid_until < valid_from:
        raise ValidationFailed({"valid_until": [_("有效期的结束日期要晚于开始日期。")]})
    if valid_until < timezone.localtime(now).date():
        raise ValidationFailed({"valid_until": [_("有效期已经过了，请重新选择日期。")]})
    with transaction.atomic():
        site_pass = SitePass.objects.select_for_update().select_related("worker", "site").get(pk=site_pass.pk)
        if site_pass.worker.commitment_signed_at is None:
            raise DomainError(_("这名施工人员还没有签署施工人员管理承诺书，不能批准出入证。"), code="commitment_missing")
        if site_pass.status == PassStatus.REVOKED:
            raise DomainError(_("这张出入证已经收回，请重新申请。"), code="pass_revoked")
        site_pass.valid_from, site_pass.valid_until = valid_from, valid_until
        site_pass.status, site_pass.approved_by, site_pass.approved_at = PassStatus.APPROVED, actor, now
        site_pass.save(update_fields=["valid_from", "valid_until", "status", "approved_by", "approved_at"])
        if site_pass.worker.phone:
            notice_queue_to(
                phone=site_pass.worker.phone, event="site_pass", subject=f"{site_pass.site.code}-P{site_pass.pk}",
                neighbourhood_id=site_pass.site.neighbourhood_id, now=now,
                values={"site": site_pass.site.name, "until": f"{valid_until.month}月{valid_until.day}日",
                        "link": site_link(reverse("sites:pass", args=[site_pass.token]))},
            )  # fmt: skip
        audit_record(actor=actor, action=AUDIT_PASS, reference=site_pass.site.code, ip=ip, change="approve", site_pass=site_pass.pk)
    return site_pass


def pass_revoke(*, site_pass: SitePass, actor, ip: str | None = None, now: dt.datetime | None = None) -> SitePass:
    """Revoked at once: the next scan of it, even of a screenshot, is refused."""
    now = now or timezone.now()
    with transaction.atomic():
        updated = SitePass.objects.filter(pk=site_pass.pk).exclude(status=PassStatus.REVOKED).update(
            status=PassStatus.REVOKED, revoked_by=actor, revoked_at=now
        )
        if updated:
            audit_record(actor=actor, action=AUDIT_PASS, reference=site_pass.site.code, ip=ip, change="revoke", site_pass=site_pass.pk)
    site_pass.refresh_from_db()
    return site_pass


def pass_renew(*, site_pass: SitePass, now: dt.datetime | None = None, days: int = 30) -> SitePass:
    """A new request for a worker whose pass was revoked or ran out."""
    today = timezone.localtime(now or timezone.now()).date()
    return SitePass.objects.create(
        site=site_pass.site, worker=site_pass.worker, valid_from=today, valid_until=today + dt.timedelta(days=days - 1)
    )


def _normalised_number(text: str) -> str:
    import unicodedata

    return "".join(ch for ch in unicodedata.normalize("NFKC", text).upper() if ch.isalnum())


def pass_resolve(*, site: Site, text: str, on: dt.date) -> SitePass:
    """The pass a scan or a typed number names, valid at ``site`` on ``on``; else ``PassRefused``
    with a code the gate explains (forged, unknown, other_site, not_approved, revoked, expired,
    not_yet)."""
    text = (text or "").strip()
    if not text:
        raise PassRefused(_("请扫描或输入出入证号。"), code="missing")
    if ":" in text:  # a scanned QR code: signed by this server, or forged
        try:
            payload = signing.loads(text, salt=PASS_SALT)
            number = str(payload["n"])
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            raise PassRefused(_("这张出入证不是本系统签发的（二维码无效或被改过），不能放行。请联系居委会。"), code="forged") from None
        if payload.get("s") != site.code:
            raise PassRefused(_("这是别的工地的出入证，不能在本工地使用。"), code="other_site")
    else:
        number = _normalised_number(text)
    site_pass = SitePass.objects.select_related("worker").filter(number=number).first()
    if site_pass is None:
        raise PassRefused(_("没有这个出入证号，请核对后重新输入，或扫描出入证二维码。"), code="unknown")
    if site_pass.site_id != site.pk:
        raise PassRefused(_("这是别的工地的出入证，不能在本工地使用。"), code="other_site")
    if site_pass.status == PassStatus.REVOKED:
        raise PassRefused(_("这张出入证已被居委会收回，不能放行。"), code="revoked")
    if site_pass.status != PassStatus.APPROVED:
        raise PassRefused(_("这张出入证还没有经过居委会批准，不能放行。"), code="not_approved")
    if on > site_pass.valid_until:
        raise PassRefused(
            _("这张出入证已过期（有效期至%(until)s），请找居委会续办。") % {"until": site_pass.valid_until.isoformat()}, code="expired"
        )
    if on < site_pass.valid_from:
        raise PassRefused(_("这张出入证还没到有效期（%(start)s起）。") % {"start": site_pass.valid_from.isoformat()}, code="not_yet")
    return site_pass


# --- the gate ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GateAnswer:
    entry: GateEntry
    created: bool
    message: str

    @property
    def outcome(self) -> str:
        return self.entry.outcome


def parse_temperature(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        text = str(value).strip().replace("，", ".").replace(",", ".").replace("℃", "").replace("°C", "")
        return Decimal(text).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise ValidationFailed({"temperature": [_("体温请填数字，例如 36.5。")]}) from None


def parse_key(value) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise ValidationFailed({"key": [_("记录编号格式不正确。")]}) from None


def _message(entry: GateEntry) -> str:
    if entry.outcome == Outcome.ADMITTED:
        return _("已登记出场。") if entry.direction == Direction.OUT else _("体温正常，已放行。")
    if entry.outcome == Outcome.REFUSED:
        if entry.reason == "fever":
            return _(
                "体温%(t)s℃，不能进场。请到通风处休息10分钟后复测；仍然偏高请戴好口罩去发热门诊就诊。已短信通知居委会。"
            ) % {"t": entry.temperature}
        return _("健康码不是绿码，不能进场。请离开工地，按健康码提示联系社区。已短信通知居委会。")
    return str(REJECTED_MESSAGES.get(entry.reason, REJECTED_MESSAGES["unknown"]))


# What the gate says again when a rejected entry is sent a second time (the first answer may
# have named the dates; the reason is the same).
REJECTED_MESSAGES = {
    "missing": gettext_lazy("请扫描或输入出入证号。"),
    "forged": gettext_lazy("这张出入证不是本系统签发的（二维码无效或被改过），不能放行。请联系居委会。"),
    "unknown": gettext_lazy("没有这个出入证号，请核对后重新输入，或扫描出入证二维码。"),
    "other_site": gettext_lazy("这是别的工地的出入证，不能在本工地使用。"),
    "revoked": gettext_lazy("这张出入证已被居委会收回，不能放行。"),
    "not_approved": gettext_lazy("这张出入证还没有经过居委会批准，不能放行。"),
    "expired": gettext_lazy("这张出入证已过期，请找居委会续办。"),
    "not_yet": gettext_lazy("这张出入证还没到有效期。"),
    "site_stopped": gettext_lazy("工地停工期间不能进场施工。复工请听居委会通知。"),
}


def gate_entry_record(
    *,
    site: Site,
    key,
    pass_text: str,
    direction: str,
    temperature=None,
    health_code: str = HealthCode.GREEN,
    phone_at: dt.datetime | None = None,
    elapsed_seconds: float | None = None,
    source: str = Source.PAGE,
    gate: str = "",
    actor=None,
    now: dt.datetime | None = None,
) -> GateAnswer:
    """Record one scan at the gate. The same ``key`` again answers the first answer (``created``
    False) and writes nothing. Input a person must correct (a temperature out of human range, none
    for an entry, an unknown direction) raises ``ValidationFailed`` and writes nothing; a pass the
    gate may not accept is kept as a rejected entry with its reason, so an entry sent from an
    offline phone is never lost, and its message says why."""
    now = now or timezone.now()
    key = parse_key(key)
    existing = GateEntry.objects.filter(key=key).first()
    if existing is not None:
        return _repeat(existing, site)
    errors: dict[str, list[str]] = {}
    if direction not in Direction.values:
        errors["direction"] = [_("请选择进场还是出场。")]
    try:
        temperature = parse_temperature(temperature)
    except ValidationFailed as failed:
        errors.update(failed.errors)
        temperature = None
    if temperature is not None and not HUMAN_RANGE[0] <= temperature <= HUMAN_RANGE[1]:
        errors["temperature"] = [
            _("体温%(t)s℃不在人体体温范围内（34—43℃），请重新测量后再填。") % {"t": temperature}
        ]
    elif temperature is None and direction == Direction.IN and "temperature" not in errors:
        errors["temperature"] = [_("进场要先测体温，请填写体温。")]
    health_code = health_code or HealthCode.GREEN
    if health_code not in HealthCode.values:
        errors["health_code"] = [_("请选择健康码的颜色。")]
    if errors:
        raise ValidationFailed(errors)
    at = now
    if elapsed_seconds:
        at = now - min(max(dt.timedelta(seconds=float(elapsed_seconds)), dt.timedelta(0)), MAX_OFFLINE_AGE)
    on = timezone.localtime(at).date()
    entry = GateEntry(
        site=site, key=key, direction=direction, temperature=temperature, health_code=health_code, at=at,
        phone_at=phone_at, received_at=now, source=source, gate=(gate or "")[:40],
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )  # fmt: skip
    try:
        site_pass = pass_resolve(site=site, text=pass_text, on=on)
    except PassRefused as refused:
        entry.outcome, entry.reason = Outcome.REJECTED, refused.code
        return _save(entry, site, message=str(refused.message))
    if direction == Direction.IN and site.status == SiteStatus.STOPPED:
        entry.site_pass, entry.worker = site_pass, site_pass.worker
        entry.outcome, entry.reason = Outcome.REJECTED, "site_stopped"
        return _save(entry, site)
    entry.site_pass, entry.worker = site_pass, site_pass.worker
    entry.outcome = Outcome.ADMITTED
    if direction == Direction.IN:
        if temperature >= fever_threshold():
            entry.outcome, entry.reason = Outcome.REFUSED, "fever"
        elif health_code != HealthCode.GREEN:
            entry.outcome, entry.reason = Outcome.REFUSED, "health_code"
    return _save(entry, site)


def _repeat(existing: GateEntry, site: Site) -> GateAnswer:
    if existing.site_id != site.pk:
        raise KeyReused(_("这个记录编号已经用于别的工地。"))
    return GateAnswer(existing, False, _message(existing))


def _save(entry: GateEntry, site: Site, *, message: str | None = None) -> GateAnswer:
    try:
        with transaction.atomic():
            entry.save(force_insert=True)
            if entry.outcome == Outcome.REFUSED:
                _refusal_open(entry, site)
            if entry.worker_id and entry.direction == Direction.IN and entry.health_code:
                SiteWorker.objects.filter(pk=entry.worker_id).update(
                    health_code=entry.health_code, health_code_on=timezone.localtime(entry.at).date()
                )
    except IntegrityError:  # the same key, twice at once: the unique index let one through
        existing = GateEntry.objects.filter(key=entry.key).first()
        if existing is None:
            raise
        return _repeat(existing, site)
    return GateAnswer(entry, True, message or _message(entry))


def _refusal_open(entry: GateEntry, site: Site) -> Refusal:
    refusal = Refusal.objects.create(entry=entry, site=site, reason=entry.reason, opened_at=entry.received_at)
    if entry.reason == "fever":
        reason = f"体温{entry.temperature}℃"
    else:
        reason = "健康码为" + str(HealthCode(entry.health_code).label)
    notice_queue_to(
        phone=site.responsible_phone, event="site_refused", subject=refusal.reference if len(refusal.reference) <= 60 else "",
        neighbourhood_id=site.neighbourhood_id, now=entry.received_at,
        values={"site": site.name, "reason": reason,
                "link": site_link(reverse("sites_staff:refusals", args=[site.code]))},
    )  # fmt: skip
    return refusal


def refusal_close(*, refusal: Refusal, note: str, actor, ip: str | None = None, now: dt.datetime | None = None) -> Refusal:
    note = (note or "").strip()
    if not note:
        raise ValidationFailed({"note": [_("请写下处理情况再关闭，例如“已复测36.8℃”或“已送发热门诊”。")]})
    now = now or timezone.now()
    with transaction.atomic():
        refusal = Refusal.objects.select_for_update().select_related("site").get(pk=refusal.pk)
        if refusal.closed_at:
            raise DomainError(_("这件事已经处理完了。"), code="refusal_closed")
        refusal.closed_at, refusal.closed_by, refusal.note = now, actor, note[:1000]
        refusal.save(update_fields=["closed_at", "closed_by", "note"])
        audit_record(actor=actor, action=AUDIT_REFUSAL_CLOSE, reference=refusal.reference, ip=ip)
        # A case of a person handled by the committee has ended (一事一评: the ratings app decides).
        worker = SiteWorker.objects.filter(entries__refusal=refusal).first()
        case_ended.publish(
            CaseEnded(
                service="site_refusal", service_label="工地拒绝进场处理", case_key=refusal.reference, outcome="已处理",
                phone=worker.phone if worker else "", person_name=worker.name if worker else "",
                handler_id=getattr(actor, "pk", None), office=f"{refusal.site.neighbourhood.name}居委会", ended_at=now,
                neighbourhood_id=refusal.site.neighbourhood_id,
            )
        )  # fmt: skip
    return refusal


def _parse_phone_time(value):
    if not value:
        return None
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        try:
            parsed = parse_datetime(str(value))
        except ValueError:
            return None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def gate_record_one(site: Site, item, *, source, actor, gate: str = "") -> dict:
    """One entry of a batch, as the sync endpoint and the API answer it."""
    if not isinstance(item, dict):
        return {"key": None, "status": "invalid", "errors": {"entry": [_("格式不正确。")]}}
    key = item.get("key")
    try:
        elapsed = float(item.get("elapsed_s") or 0)
    except (TypeError, ValueError):
        elapsed = 0.0
    try:
        answer = gate_entry_record(
            site=site, key=key, pass_text=str(item.get("pass") or ""), direction=str(item.get("direction") or ""),
            temperature=item.get("temperature"), health_code=str(item.get("health_code") or "green"),
            phone_at=_parse_phone_time(item.get("phone_at")), elapsed_seconds=elapsed,
            source=source or (Source.OFFLINE if elapsed > 30 else Source.PAGE), gate=gate, actor=actor,
        )  # fmt: skip
    except ValidationFailed as failed:
        return {"key": key, "status": "invalid", "errors": {f: [str(m) for m in ms] for f, ms in failed.errors.items()}}
    except DomainError as error:
        return {"key": key, "status": "conflict", "code": error.code, "message": str(error.message)}
    entry = answer.entry
    return {
        "key": str(entry.key),
        "status": "ok",
        "created": answer.created,
        "outcome": entry.outcome,
        "reason": entry.reason,
        "message": str(answer.message),
        "at": timezone.localtime(entry.at).isoformat(),
        "worker": entry.worker.name if entry.worker_id else "",
        "photo": reverse("sites:gate_photo", args=[entry.worker_id]) if entry.worker_id and entry.worker.photo else "",
    }



def gate_pin_mark(site: Site) -> str:
    """Changes with the site's gate PIN: what a gate phone's cookie and a device key carry, so a
    new PIN closes every gate phone and device of the site."""
    message = f"gate:{site.pk}:{site.gate_pin}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()[:12]


DEVICE_SALT = "jiedao.sites.device"


def device_key(site: Site) -> str:
    """The key a gate device sends to the API (``Authorization: Bearer <key>``): signed by the
    server for this site and its current PIN."""
    return signing.dumps({"site": site.pk, "pin": gate_pin_mark(site)}, salt=DEVICE_SALT, compress=False)


def device_site(key: str) -> Site | None:
    try:
        payload = signing.loads(key or "", salt=DEVICE_SALT)
        site = Site.objects.get(pk=int(payload["site"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError, Site.DoesNotExist):
        return None
    if not hmac.compare_digest(str(payload.get("pin", "")), gate_pin_mark(site)) or site.status == SiteStatus.FINISHED:
        return None
    return site


# --- commitments ---------------------------------------------------------------------------------

COMMITMENT_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
COMMITMENT_MAX_BYTES = 10 * 1024 * 1024


def _sniff(head: bytes) -> str | None:
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def commitment_attach(
    *, site: Site, kind: str, signed_by: str, signed_on: dt.date, content: bytes, actor, ip: str | None = None
) -> Commitment:
    """A signed commitment, as a PDF or a photo, kept under a random name in private storage."""
    errors: dict[str, list[str]] = {}
    content_type = _sniff(content[:16]) if content else None
    if not content:
        errors["file"] = [_("请选择承诺书的PDF文件或照片。")]
    elif len(content) > COMMITMENT_MAX_BYTES:
        errors["file"] = [_("文件太大了，请不超过10MB。")]
    elif content_type is None:
        errors["file"] = [_("只能上传PDF文件或照片（JPEG、PNG、WebP）。")]
    if not (signed_by or "").strip():
        errors["signed_by"] = [_("请填写签署方。")]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        commitment = Commitment(site=site, kind=kind, signed_by=signed_by.strip(), signed_on=signed_on,
                                content_type=content_type, uploaded_by=actor)  # fmt: skip
        commitment.file.save(f"{uuid.uuid4().hex}.{COMMITMENT_TYPES[content_type]}", ContentFile(content), save=False)
        commitment.save()
        audit_record(actor=actor, action=AUDIT_COMMITMENT, reference=site.code, ip=ip, commitment=commitment.pk)
    return commitment


# --- the worker's rounds: the 18:00 report, retention ---------------------------------------------


def daily_count_write(*, site: Site, day: dt.date) -> DailyCount:
    """The day's figures from its entries, kept as a row (what retention leaves)."""
    from .selectors import day_figures

    figures = day_figures(site, day)
    count, _created = DailyCount.objects.update_or_create(
        site=site, day=day,
        defaults={"people": figures.people, "entries": figures.entries, "exits": figures.exits,
                  "refusals": figures.refusals, "rejected": figures.rejected, "missed_checks": figures.missed_checks},
    )  # fmt: skip
    return count


def daily_reports_send(*, worker: str | None = None, stop=None, now: dt.datetime | None = None) -> dict[str, int]:
    """The 18:00 report: after 18:00 Shanghai time, each working site's figures of the day go by
    SMS to the committee's responsible worker, once per site and day (the day's count row is
    marked reported in the transaction that queues the SMS). Run by the worker's loop."""
    from .selectors import day_figures

    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.time() < dt.time(settings.JIEDAO_SITES_REPORT_HOUR):
        return {}
    day = local.date()
    sent = 0
    sites = Site.objects.filter(status__in=(SiteStatus.WORKING, SiteStatus.RESUMING)).exclude(
        daily_counts__day=day, daily_counts__reported_at__isnull=False
    )
    for site in sites:
        with transaction.atomic():
            count = daily_count_write(site=site, day=day)
            count = DailyCount.objects.select_for_update().get(pk=count.pk)
            if count.reported_at:
                continue
            figures = day_figures(site, day)
            notice_queue_to(
                phone=site.responsible_phone, event="site_daily", subject=f"{site.code}-{day:%Y%m%d}",
                neighbourhood_id=site.neighbourhood_id, now=now,
                values={"site": site.name, "day": f"{day.month}月{day.day}日", "people": str(figures.people),
                        "on_site": str(figures.on_site), "refusals": str(figures.refusals),
                        "missed": str(figures.missed_checks),
                        "link": site_link(reverse("sites_staff:detail", args=[site.code]))},
            )  # fmt: skip
            count.reported_at = now
            count.save(update_fields=["reported_at"])
            sent += 1
    return {"site_reports": sent} if sent else {}


@dataclass
class RetentionResult:
    cutoff: dt.datetime
    entries_deleted: int = 0
    refusals_deleted: int = 0
    days_counted: int = 0
    workers_forgotten: int = 0


PURGE_BATCH = 20000


def retention_days() -> int:
    days = settings.JIEDAO_SITES_RETENTION_DAYS
    if not 1 <= days <= settings.JIEDAO_SITES_RETENTION_MAX_DAYS:
        raise ValueError(f"JIEDAO_SITES_RETENTION_DAYS must be between 1 and {settings.JIEDAO_SITES_RETENTION_MAX_DAYS}")
    return days


def sites_retention_run(*, now: dt.datetime | None = None, days: int | None = None, dry_run: bool = False, stdout=None) -> RetentionResult:
    """Gate entries and health records older than the period are deleted, each day's counts kept
    first; the crews of projects finished longer ago than the period lose their personal data.
    Deleted in batches of ``PURGE_BATCH`` rows, one short transaction each, so the gate keeps
    answering meanwhile. Run by ``jiedao retention run``."""
    now = now or timezone.now()
    days = retention_days() if days is None else min(days, settings.JIEDAO_SITES_RETENTION_MAX_DAYS)
    local_midnight = timezone.make_aware(dt.datetime.combine(timezone.localtime(now).date(), dt.time.min))
    cutoff = local_midnight - dt.timedelta(days=days)
    result = RetentionResult(cutoff=cutoff)
    old = GateEntry.objects.filter(at__lt=cutoff)
    # Days to count: each (site, local day) of what is about to go, not counted yet.
    first = old.order_by("at").values_list("at", flat=True).first()
    if first is not None:
        day = timezone.localtime(first).date()
        last_day = (cutoff - dt.timedelta(seconds=1)).astimezone(timezone.get_current_timezone()).date()
        # order_by(): the model's ordering would make DISTINCT return every row.
        sites = list(Site.objects.filter(pk__in=old.order_by().values("site_id").distinct()))
        while day <= last_day:
            for site in sites:
                if not dry_run:
                    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
                    if GateEntry.objects.filter(site=site, at__gte=start, at__lt=start + dt.timedelta(days=1)).exists():
                        daily_count_write(site=site, day=day)
                        result.days_counted += 1
            day += dt.timedelta(days=1)
    if dry_run:
        result.entries_deleted = old.count()
        return result
    result.refusals_deleted, _detail = Refusal.objects.filter(entry__at__lt=cutoff).delete()
    # Plain SQL, a batch at a time: the ORM's delete() would load every row first (the refusals,
    # which point at entries, are gone already). Each batch is its own short transaction, so the
    # gate's writes wait at most one batch.
    table = connection.ops.quote_name(GateEntry._meta.db_table)
    sql = f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE at < %s ORDER BY id LIMIT %s)"
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [cutoff, PURGE_BATCH])
            deleted = cursor.rowcount
        result.entries_deleted += max(deleted, 0)
        if deleted < PURGE_BATCH:
            break
    # Health records: the colour seen on a worker is a health record of that day too.
    SiteWorker.objects.filter(health_code_on__lt=cutoff.date()).update(health_code="", health_code_on=None)
    result.workers_forgotten = workers_forget(now=now, days=days)
    audit_record(
        actor=None, action=AUDIT_RETENTION, cutoff=cutoff.isoformat(), entries=result.entries_deleted,
        refusals=result.refusals_deleted, workers=result.workers_forgotten,
    )  # fmt: skip
    return result


def workers_forget(*, now: dt.datetime, days: int) -> int:
    """The crew of a project finished more than ``days`` ago: names, ID numbers, phones and
    signatures go; the worker rows (and so the counts) stay. Their passes are revoked."""
    finished_before = timezone.localtime(now).date() - dt.timedelta(days=days)
    workers = SiteWorker.objects.filter(site__status=SiteStatus.FINISHED, site__finished_on__lt=finished_before, forgotten_at__isnull=True)
    photos = [name for name in workers.exclude(photo="").values_list("photo", flat=True)]
    with transaction.atomic():
        ids = list(workers.values_list("pk", flat=True))
        SitePass.objects.filter(worker_id__in=ids).exclude(status=PassStatus.REVOKED).update(status=PassStatus.REVOKED, revoked_at=now)
        count = SiteWorker.objects.filter(pk__in=ids).update(
            name=ANONYMISED_NAME, id_number_encrypted="", id_number_hash="", phone="", commitment_signature="",
            health_code="", health_code_on=None, forgotten_at=now, photo="",
        )  # fmt: skip
    for name in photos:
        photo_delete(name)
    return count


def retention_round(*, now: dt.datetime | None = None, dry_run: bool = False) -> dict[str, int]:
    """The site register's part of ``jiedao retention run`` (``JIEDAO_RETENTION_EXTRA_ROUNDS``)."""
    result = sites_retention_run(now=now, dry_run=dry_run)
    return {
        _("工地进出记录"): result.entries_deleted,
        _("工地拒绝进场记录"): result.refusals_deleted,
        _("已完工工地施工人员个人信息"): result.workers_forgotten,
    }
