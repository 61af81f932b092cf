from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "jiedao.api"
    label = "api"
    verbose_name = _("合作平台接口")

    def ready(self):
        # The submitting partner hears of every status change of its cases (outbox.py).
        from jiedao.intake.events import case_events

        from .outbox import webhooks_on_case_event

        case_events.subscribe(webhooks_on_case_event)
