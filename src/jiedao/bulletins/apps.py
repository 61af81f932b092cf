from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BulletinsConfig(AppConfig):
    """Public notices (公示) and objections. Its SMS texts, audit actions, staff menu entry and the
    payment hold of open objections are registered here."""

    name = "jiedao.bulletins"
    label = "bulletins"
    verbose_name = _("公示")

    def ready(self):
        from jiedao.lib.public_links import public_link_register

        public_link_register("bulletins:list", _("公示"))
        from jiedao.core.models import Role, audit_action_register
        from jiedao.core.staff import staff_link_register
        from jiedao.lib.payment_holds import payment_hold_register
        from jiedao.notices.templates import SmsTemplate, sms_template_register

        from . import services

        audit_action_register(services.AUDIT_SAVE, _("编辑公示"))
        audit_action_register(services.AUDIT_PUBLISH, _("发布公示"))
        audit_action_register(services.AUDIT_WITHDRAW, _("撤下公示"))
        audit_action_register(services.AUDIT_ANSWER, _("答复公示异议"))
        audit_action_register(services.AUDIT_VIEW_OBJECTION, _("查看公示异议"))
        staff_link_register("bulletins_staff:list", _("公示"), roles={Role.WORKER, Role.REVIEWER, Role.LEADER, Role.ADMIN})
        payment_hold_register(services.objection_payment_hold)
        # Plain constants, as the provider approved them (notices.templates says why).
        for template in (
            SmsTemplate(
                "bulletin_posted",
                "公示：“{title}”，公示期至{until}。查看内容或提出异议请打开{link}",
                ("title", "until", "link"),
                _("公示通知"),
            ),
            SmsTemplate(
                "objection_got",
                "已收到您对“{title}”的异议，编号{reference}，将于{due}前书面答复。进展请打开{link}",
                ("title", "reference", "due", "link"),
                _("公示异议已收到"),
            ),
            SmsTemplate(
                "objection_reply",
                "您对“{title}”的异议（编号{reference}）已答复，处理结果：{outcome}。书面答复请打开{link}",
                ("title", "reference", "outcome", "link"),
                _("公示异议答复"),
            ),
        ):
            sms_template_register(template)
