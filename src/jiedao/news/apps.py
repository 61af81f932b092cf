from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NewsConfig(AppConfig):
    """Community news (社区要闻): its audit actions and staff menu entry are registered here."""

    name = "jiedao.news"
    label = "news"
    verbose_name = _("社区要闻")

    def ready(self):
        from jiedao.lib.public_links import public_link_register

        public_link_register("news:list", _("社区要闻"))
        from jiedao.core.models import audit_action_register
        from jiedao.core.staff import staff_link_register

        from . import services

        audit_action_register(services.AUDIT_PUBLISH, _("发布社区要闻"))
        audit_action_register(services.AUDIT_RETURN, _("退回社区要闻"))
        staff_link_register("news_staff:list", _("社区要闻"))
