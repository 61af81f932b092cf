from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RostersConfig(AppConfig):
    name = "jiedao.rosters"
    label = "rosters"
    verbose_name = _("值守排班")

    def ready(self):
        from jiedao.core.models import Role, audit_action_register
        from jiedao.core.staff import staff_link_register
        from jiedao.notices.templates import SmsTemplate, sms_template_register

        from .services import AUDIT_CANCEL, AUDIT_CHECK

        audit_action_register(AUDIT_CHECK, _("代为值守签到"))
        audit_action_register(AUDIT_CANCEL, _("取消值守班次"))
        staff_link_register("rosters_staff:board", _("值守排班"), roles={Role.WORKER, Role.REVIEWER, Role.LEADER, Role.ADMIN})
        # Plain constants, as the provider approved them (notices.templates says why).
        for template in (
            SmsTemplate(
                "roster_welcome",
                "您已登记为{place}值守志愿者。认领班次、查看我的班次请打开{link}",
                ("place", "link"),
                _("值守志愿者登记"),
            ),
            SmsTemplate(
                "roster_reminder",
                "提醒：您明天{when}在{place}值守。如有变化请打开{link}换班，或联系居委会。",
                ("when", "place", "link"),
                _("值守提醒"),
            ),
            SmsTemplate(
                "roster_swapped",
                "您{when}的值守班次已由{name}接替，不用再去了。我的班次：{link}",
                ("when", "name", "link"),
                _("值守换班"),
            ),
            SmsTemplate(
                "roster_off",
                "您{when}在{place}的值守班次已取消，不用去了。我的班次：{link}",
                ("when", "place", "link"),
                _("值守班次取消"),
            ),
            SmsTemplate(
                "roster_short",
                "{place}{when}的值守班次还缺{missing}人，请尽快安排。",
                ("place", "when", "missing"),
                _("值守缺人提醒"),
            ),
        ):
            sms_template_register(template)
