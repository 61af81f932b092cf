"""The ratings app: subscribes to every service's ``case_ended``, registers its SMS texts, audit
actions and the staff menu entry."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RatingsConfig(AppConfig):
    name = "jiedao.ratings"
    label = "ratings"
    verbose_name = _("服务评价（好差评）")

    def ready(self):
        from jiedao.lib.public_links import public_link_register

        public_link_register("ratings:summary", _("服务评价结果"))
        from jiedao.core.models import Role, audit_action_register
        from jiedao.core.staff import staff_link_register
        from jiedao.lib.case_endings import case_ended
        from jiedao.notices.templates import SmsTemplate, sms_template_register

        from . import services

        # Any service's case ended: its one invitation and the SMS with the link, in that
        # service's transaction (the service never imports this app).
        case_ended.subscribe(services.invitation_on_case_ended)

        audit_action_register(services.AUDIT_FACE_TO_FACE, _("当面记录评价"))
        audit_action_register(services.AUDIT_CALL, _("差评回访"))
        audit_action_register(services.AUDIT_ANSWER, _("差评整改答复"))
        audit_action_register(services.AUDIT_APPEAL, _("评价申诉"))
        audit_action_register(services.AUDIT_APPEAL_DECIDE, _("审核评价申诉"))
        staff_link_register(
            "ratings_staff:dashboard", _("好差评"), roles={Role.WORKER, Role.REVIEWER, Role.LEADER, Role.ADMIN}
        )
        # Plain constants, as the provider approved them (notices.templates says why). The link
        # is two parameters (the site's address and the token), each within the provider's limit.
        for template in (
            SmsTemplate(
                services.SMS_INVITE,
                "您办理的“{service}”已办结。请为我们的服务评价（一事一评）：{root}/ratings/{token}/ 链接{days}天内有效。",
                ("service", "root", "token", "days"),
                _("服务评价邀请"),
            ),
            SmsTemplate(
                services.SMS_ANSWER,
                "您对“{service}”的评价我们已核实处理，答复如下：{answer}",
                ("service", "answer"),
                _("差评整改答复"),
            ),
            SmsTemplate(
                services.SMS_OVERDUE,
                "差评整改已超期：办件{case}（{service}）应在{due}前答复评价人，请尽快处理。",
                ("case", "service", "due"),
                _("差评整改超期提醒"),
            ),
        ):
            sms_template_register(template)
