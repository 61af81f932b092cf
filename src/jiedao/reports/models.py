"""The household roster (在册户名单) of the renovation blocks, kept in versions.

The renovation office imports the roster from Excel. An import either passes every row's checks
and becomes the new current version, or changes nothing; older versions stay for the record.
Applications are matched against the current version to speed up review; the match never decides.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiedao.core.models import Block
from jiedao.intake.models import Category, Programme
from jiedao.lib.crypto import SealedIdNumber


class RosterVersion(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="roster_versions")
    number = models.PositiveIntegerField(_("版本"))
    is_current = models.BooleanField(_("当前使用"), default=True)
    file_name = models.CharField(_("文件名"), max_length=200)
    row_count = models.PositiveIntegerField(_("户数"), default=0)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name=_("导入人"))
    imported_at = models.DateTimeField(_("导入时间"), default=timezone.now)

    class Meta:
        verbose_name = _("在册户名单版本")
        verbose_name_plural = _("在册户名单版本")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "number"], name="roster_version_number"),
            models.UniqueConstraint(
                fields=["programme"], condition=Q(is_current=True), name="one_current_roster_per_programme"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme.code} v{self.number}"


class RosterEntry(SealedIdNumber, models.Model):
    version = models.ForeignKey(RosterVersion, on_delete=models.CASCADE, related_name="entries")
    block = models.ForeignKey(Block, on_delete=models.PROTECT, verbose_name=_("旧改地块"))
    household = models.CharField(_("户号"), max_length=40, blank=True)
    name = models.CharField(_("姓名"), max_length=100)
    # As on Application (lib.crypto): a Fernet token, and a keyed hash to match applications by.
    id_number_encrypted = models.CharField(max_length=200, blank=True, editable=False)
    id_number_hash = models.CharField(max_length=64, blank=True, editable=False)
    categories = models.ManyToManyField(Category, verbose_name=_("特殊对象类别"), blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("在册户")
        verbose_name_plural = _("在册户")
        indexes = [models.Index(fields=["id_number_hash", "version"], name="roster_id_idx")]


class RosterMatch(models.TextChoices):
    SAME_CATEGORY = "same", _("在名单上，类别一致")
    OTHER_CATEGORY = "other", _("在名单上，类别不同")
    NOT_ON_ROSTER = "absent", _("不在名单上")
