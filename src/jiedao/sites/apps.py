from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SitesConfig(AppConfig):
    name = "jiedao.sites"
    label = "sites"
    verbose_name = _("工地登记")

    def ready(self):
        from jiedao.core.models import Role, audit_action_register
        from jiedao.core.staff import staff_link_register
        from jiedao.notices.templates import SmsTemplate, sms_template_register

        from . import services

        audit_action_register(services.AUDIT_SITE, _("工地信息变更"))
        audit_action_register(services.AUDIT_PASS, _("出入证审批或收回"))
        audit_action_register(services.AUDIT_REFUSAL_CLOSE, _("关闭拒绝进场事件"))
        audit_action_register(services.AUDIT_VIEW_PEOPLE, _("查看施工人员信息"))
        audit_action_register(services.AUDIT_COMMITMENT, _("上传承诺书"))
        audit_action_register(services.AUDIT_RETENTION, _("工地记录到期清理"))
        staff_link_register("sites_staff:list", _("工地"), roles={Role.WORKER, Role.REVIEWER, Role.LEADER, Role.ADMIN})
        # Plain constants, as the provider approved them (notices.templates says why). No worker's
        # name or health detail beyond the reason for the refusal.
        for template in (
            SmsTemplate(
                "site_refused",
                "{site}门岗：一名施工人员{reason}，已拒绝进场。请尽快跟进，处理后在后台写明情况：{link}",
                ("site", "reason", "link"),
                _("工地拒绝进场"),
            ),
            SmsTemplate(
                "site_daily",
                "{site}{day}日报：进场{people}人，现在场{on_site}人，拒绝进场{refusals}人次，未测温{missed}人。详情：{link}",
                ("site", "day", "people", "on_site", "refusals", "missed", "link"),
                _("工地日报"),
            ),
            SmsTemplate(
                "site_pass",
                "您的{site}出入证已批准，有效期至{until}。进出门岗时请打开出示：{link}",
                ("site", "until", "link"),
                _("工地出入证已批准"),
            ),
        ):
            sms_template_register(template)
