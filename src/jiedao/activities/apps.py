from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "jiedao.activities"
    label = "activities"
    verbose_name = _("活动报名")

    def ready(self):
        from jiedao.lib.public_links import public_link_register

        public_link_register("activities:list", _("活动报名"))
        from jiedao.core.models import Role, audit_action_register
        from jiedao.core.staff import staff_link_register
        from jiedao.notices.templates import SmsTemplate, sms_template_register

        from . import services

        audit_action_register(services.AUDIT_CREATE, _("创建活动"))
        audit_action_register(services.AUDIT_CANCEL, _("取消活动"))
        audit_action_register(services.AUDIT_ATTENDANCE, _("登记到场"))
        staff_link_register("activities_staff:list", _("活动"), roles={Role.WORKER, Role.REVIEWER, Role.LEADER, Role.ADMIN})
        # Plain constants, as the provider approved them (notices.templates says why).
        for template in (
            SmsTemplate(
                "act_confirmed",
                "您已报名“{title}”，{when}在{place}。{note}如需取消或修改，请打开{link}",
                ("title", "when", "place", "note", "link"),
                _("活动报名成功"),
            ),
            SmsTemplate(
                "act_waitlisted",
                "“{title}”名额已满，您在候补名单第{position}位，有空位会短信通知您。如需取消，请打开{link}",
                ("title", "position", "link"),
                _("活动候补"),
            ),
            SmsTemplate(
                "act_promoted",
                "“{title}”有了空位，您已从候补转为正式报名，{when}在{place}。{note}如需取消，请打开{link}",
                ("title", "when", "place", "note", "link"),
                _("候补转为报名"),
            ),
            SmsTemplate(
                "act_reminder",
                "提醒：您报名的“{title}”明天开始，{when}在{place}。{note}如不能参加，请打开{link}取消。",
                ("title", "when", "place", "note", "link"),
                _("活动提醒"),
            ),
            SmsTemplate(
                "act_called_off",
                "很抱歉，“{title}”（{when}）已取消。如有疑问请联系组织方。",
                ("title", "when"),
                _("活动取消"),
            ),
        ):
            sms_template_register(template)
