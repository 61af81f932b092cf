"""Places: the subdistrict, its neighbourhoods (居民区) and the renovation blocks (旧改地块)."""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class BilingualName(models.Model):
    """Names are data typed by the office, so they carry their English form beside the Chinese."""

    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)

    class Meta:
        abstract = True

    @property
    def display_name(self) -> str:
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name

    def __str__(self) -> str:
        return self.display_name


class Subdistrict(BilingualName):
    code = models.SlugField(_("代码"), max_length=40, unique=True)
    district = models.CharField(_("所属区"), max_length=50, blank=True)
    city = models.CharField(_("所属市"), max_length=50, blank=True)
    office_phone = models.CharField(_("办公电话"), max_length=40, blank=True)
    office_address = models.CharField(_("办公地址"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("街道")
        verbose_name_plural = _("街道")


class Neighbourhood(BilingualName):
    subdistrict = models.ForeignKey(Subdistrict, on_delete=models.PROTECT, related_name="neighbourhoods")
    code = models.SlugField(_("代码"), max_length=40, unique=True)
    committee_phone = models.CharField(_("居委会电话"), max_length=40, blank=True)
    committee_address = models.CharField(_("居委会地址"), max_length=200, blank=True)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("居民区")
        verbose_name_plural = _("居民区")
        ordering = ["id"]


class Block(BilingualName):
    subdistrict = models.ForeignKey(Subdistrict, on_delete=models.PROTECT, related_name="blocks")
    code = models.SlugField(_("代码"), max_length=40, unique=True)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("旧改地块")
        verbose_name_plural = _("旧改地块")
        ordering = ["id"]
