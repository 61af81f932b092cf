from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewConfig(AppConfig):
    name = "jiedao.review"
    label = "review"
    verbose_name = _("审核与工作人员")
