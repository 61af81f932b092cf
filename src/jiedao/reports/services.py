"""Importing the household roster: all rows or none."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from jiedao.core.audit import audit_record
from jiedao.core.models import AuditAction
from jiedao.intake.models import Programme
from jiedao.lib.errors import DomainError
from jiedao.lib.validators import validate_id_number

from .excel import read_rows
from .models import RosterEntry, RosterVersion

MAX_ROWS = 200_000
_SEPARATORS = re.compile(r"[、,，;；/\s]+")


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


class RosterRejected(DomainError):
    code = "roster_rejected"

    def __init__(self, errors: list[RowError]):
        super().__init__(_("名单有 %(count)d 处问题，没有导入，原来的名单继续使用。") % {"count": len(errors)})
        self.errors = errors


def roster_import(*, programme: Programme, fileobj, file_name: str, actor, ip: str | None = None) -> RosterVersion:
    blocks = {}
    for block in programme.blocks.all():
        blocks[block.name] = blocks[block.code] = blocks[block.name_en.lower()] = block
    categories = {}
    for category in programme.categories.all():
        categories[category.name] = categories[category.code] = categories[category.name_en.lower()] = category
    errors: list[RowError] = []
    rows = []
    seen: dict[str, int] = {}
    try:
        for number, cells in read_rows(fileobj):
            if len(rows) >= MAX_ROWS:
                errors.append(RowError(number, "", _("名单超过 %(max)d 行，请分地块导入。") % {"max": MAX_ROWS}))
                break
            row_errors = []
            block = blocks.get(cells["block"]) or blocks.get(cells["block"].lower())
            if block is None:
                row_errors.append(RowError(number, _("旧改地块"), _("没有叫“%(value)s”的旧改地块。") % {"value": cells["block"]}))
            if not cells["name"]:
                row_errors.append(RowError(number, _("姓名"), _("姓名没有填写。")))
            try:
                id_number = validate_id_number(cells["id_number"])
            except ValidationError as error:
                id_number = None
                row_errors.append(RowError(number, _("身份证号码"), str(error.messages[0])))
            if id_number and id_number in seen:
                row_errors.append(
                    RowError(number, _("身份证号码"), _("和第 %(row)d 行的身份证号码重复。") % {"row": seen[id_number]})
                )
            wanted = [name for name in _SEPARATORS.split(cells["categories"]) if name]
            found = []
            for name in wanted:
                category = categories.get(name) or categories.get(name.lower())
                if category is None:
                    row_errors.append(RowError(number, _("特殊对象类别"), _("没有叫“%(value)s”的类别。") % {"value": name}))
                else:
                    found.append(category)
            if row_errors:
                errors.extend(row_errors)
                continue
            seen[id_number] = number
            rows.append((block, cells, id_number, found))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise RosterRejected([RowError(0, "", _("这个文件不是Excel（.xlsx）文件，请用下载的模板填写。"))]) from None
    if not rows and not errors:
        errors.append(RowError(0, "", _("名单是空的。")))
    if errors:
        raise RosterRejected(errors)

    with transaction.atomic():
        number = (programme.roster_versions.aggregate(last=Max("number"))["last"] or 0) + 1
        programme.roster_versions.filter(is_current=True).update(is_current=False)
        version = RosterVersion.objects.create(
            programme=programme, number=number, file_name=file_name[:200], row_count=len(rows), imported_by=actor
        )
        entries = RosterEntry.objects.bulk_create(
            RosterEntry(
                version=version,
                block=block,
                household=cells["household"][:40],
                name=cells["name"][:100],
                id_number=id_number,  # encrypted and hashed by the model's setter
                note=cells["note"][:200],
            )
            for block, cells, id_number, _found in rows
        )
        through = RosterEntry.categories.through
        through.objects.bulk_create(
            through(rosterentry_id=entry.id, category_id=category.id)
            for entry, (_block, _cells, _id, found) in zip(entries, rows, strict=True)
            for category in found
        )
        audit_record(actor=actor, action=AuditAction.IMPORT_ROSTER, ip=ip, version=number, rows=len(rows))
    return version
