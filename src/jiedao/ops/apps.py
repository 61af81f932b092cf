from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    """Operations, on top of every service: backup and restore, key rotation, the demo data and
    the generator for benchmarks. Nothing below imports this app."""

    name = "jiedao.ops"
    label = "ops"
    verbose_name = _("运维")
