"""The supplies ledger's writes: receipts, handouts and corrections, each one new row.

Stock never goes below zero, even with two staff handing out the last box at the same instant:
every entry takes the item's lock first (``select_for_update``: the row lock on PostgreSQL; on
SQLite the write lock, which the project's immediate transactions take at BEGIN), reads the
running balance, refuses with "库存不足" when the entry would take it below zero, and writes the
entry and the new balance in the same transaction (the check constraint on ``Item.balance`` is
the last guard). So reading the stock of every item is one small query, whatever the number of
ledger rows, and ``selectors.balances_recount`` proves it against the sum of the rows.

A handout records who received it: a signature drawn on the phone (PNG, from
``static/jiedao/signature.js``) or a photo of the signed list (through ``lib.photos``); one of the
two is required. Files are stored before the transaction and deleted again if it fails.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import io

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from jiedao.core.audit import audit_record
from jiedao.lib.errors import DomainError, ValidationFailed
from jiedao.lib.photos import ProcessedPhoto

from .models import EntryKind, Item, LedgerEntry, Need
from .services import file_store, files_delete

AUDIT_LEDGER = "supplies_ledger"
SIGNATURE_MAX_BYTES = 512 * 1024
SIGNATURE_MAX_EDGE = 1600


class OutOfStock(DomainError):
    code = "out_of_stock"


def item_create(*, name: str, unit: str) -> Item:
    name, unit = (name or "").strip(), (unit or "").strip()
    errors = {}
    if not name:
        errors["name"] = [_("请填写物资名称。")]
    elif Item.objects.filter(name=name).exists():
        errors["name"] = [_("已经有这种物资了。")]
    if not unit:
        errors["unit"] = [_("请填写单位，例如：只、瓶、盒。")]
    if errors:
        raise ValidationFailed(errors)
    return Item.objects.create(name=name, unit=unit)


def _entry(*, item: Item, kind: str, quantity: int, actor, at: dt.datetime, **fields) -> LedgerEntry:
    """Write one entry under the item's lock; ``OutOfStock`` when it would leave less than nothing."""
    with transaction.atomic():
        balance = Item.objects.select_for_update().filter(pk=item.pk).values_list("balance", flat=True).get()
        if balance + quantity < 0:
            raise OutOfStock(
                _("库存不足：%(item)s只剩 %(left)d %(unit)s，不能发放 %(wanted)d %(unit)s。")
                % {"item": item.name, "left": balance, "unit": item.unit, "wanted": -quantity}
            )
        entry = LedgerEntry.objects.create(
            item_id=item.pk, kind=kind, quantity=quantity, balance_after=balance + quantity, actor=actor, at=at, **fields
        )
        Item.objects.filter(pk=item.pk).update(balance=F("balance") + quantity)
        audit_record(actor=actor, action=AUDIT_LEDGER, reference=entry.reference, kind=kind, quantity=quantity)
    item.balance = balance + quantity
    return entry


def receipt_record(*, item: Item, quantity: int, source: str, actor, note: str = "", now=None) -> LedgerEntry:
    """Stock received: how many, from whom."""
    errors = {}
    if not quantity or quantity < 1:
        errors["quantity"] = [_("数量至少为1。")]
    if not (source or "").strip():
        errors["source"] = [_("请写明物资来自哪里（捐赠单位或采购）。")]
    if errors:
        raise ValidationFailed(errors)
    return _entry(item=item, kind=EntryKind.RECEIPT, quantity=quantity, actor=actor, at=now or timezone.now(),
                  source=source.strip(), note=(note or "").strip())  # fmt: skip


def signature_from_data_url(value: str) -> bytes | None:
    """The PNG the signature pad put in its hidden field (``data:image/png;base64,…``), or None."""
    value = (value or "").strip()
    if not value.startswith("data:image/png;base64,"):
        return None
    try:
        return base64.b64decode(value.split(",", 1)[1], validate=True)
    except (binascii.Error, ValueError):
        return None


def _clean_signature(png: bytes) -> bytes:
    """Decoded and written again as a fresh PNG (no metadata, bounded size), or ValidationFailed."""
    if len(png) > SIGNATURE_MAX_BYTES:
        raise ValidationFailed({"signature": [_("签名图片太大了，请重新签名。")]})
    try:
        with Image.open(io.BytesIO(png)) as image:
            if image.format != "PNG" or max(image.size) > SIGNATURE_MAX_EDGE:
                raise ValueError
            image = image.convert("LA")
            if image.getextrema()[0][0] == image.getextrema()[0][1] and image.getextrema()[1][1] == 0:
                raise ValueError  # nothing drawn: all transparent
            out = io.BytesIO()
            image.save(out, format="PNG", optimize=True)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise ValidationFailed({"signature": [_("没有收到有效的签名，请让领取人在框里签名后再提交。")]}) from None
    return out.getvalue()


def handout_record(
    *,
    item: Item,
    quantity: int,
    enterprise,
    received_by: str,
    actor,
    need: Need | None = None,
    signature_png: bytes | None = None,
    signed_list: ProcessedPhoto | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> LedgerEntry:
    """Hand ``quantity`` out to ``enterprise`` (for ``need``): ``OutOfStock`` if there is not that
    much; a signature or a photo of the signed list is required."""
    errors: dict[str, list] = {}
    if not quantity or quantity < 1:
        errors["quantity"] = [_("数量至少为1。")]
    if enterprise is None:
        errors["enterprise"] = [_("请选择发给哪家企业。")]
    if not (received_by or "").strip():
        errors["received_by"] = [_("请填写领取人姓名。")]
    if need is not None and enterprise is not None and need.enterprise_id != enterprise.pk:
        errors["need"] = [_("这条诉求不是这家企业的。")]
    if signature_png is None and signed_list is None:
        errors["signature"] = [_("请让领取人在手机上签名，或拍一张签收单的照片。")]
    if errors:
        raise ValidationFailed(errors)
    png = _clean_signature(signature_png) if signature_png is not None else None
    stored = []
    try:
        signature = file_store(png, "png") if png is not None else ""
        stored.append(signature) if signature else None
        photo = file_store(signed_list.content, "jpg") if signed_list is not None else ""
        stored.append(photo) if photo else None
        return _entry(
            item=item, kind=EntryKind.HANDOUT, quantity=-quantity, actor=actor, at=now or timezone.now(),
            enterprise=enterprise, need=need, received_by=received_by.strip(), signature=signature,
            signed_list=photo, note=(note or "").strip(),
        )  # fmt: skip
    except BaseException:
        files_delete(stored)
        raise


def correction_record(*, entry: LedgerEntry, quantity: int, reason: str, actor, now=None) -> LedgerEntry:
    """A mistake in an entry is put right by a new one naming it (``quantity`` signed: +3 gives
    back three handed out too many); the wrong row stays for the record."""
    errors = {}
    if not quantity:
        errors["quantity"] = [_("更正数量不能为0：正数表示补回库存，负数表示减少库存。")]
    if not (reason or "").strip():
        errors["note"] = [_("请写明更正的原因。")]
    if errors:
        raise ValidationFailed(errors)
    return _entry(
        item=entry.item, kind=EntryKind.CORRECTION, quantity=quantity, actor=actor, at=now or timezone.now(),
        corrects=entry, enterprise=entry.enterprise, need=entry.need, note=reason.strip(),
    )  # fmt: skip
