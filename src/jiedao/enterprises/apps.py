from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnterprisesConfig(AppConfig):
    name = "jiedao.enterprises"
    label = "enterprises"
    verbose_name = _("企业走访")

    def ready(self):
        from jiedao.core.models import Role, audit_action_register
        from jiedao.core.staff import staff_link_register
        from jiedao.notices.templates import SmsTemplate, sms_template_register

        from . import ledger, services

        audit_action_register(services.AUDIT_ENTERPRISE, _("登记企业"))
        audit_action_register(services.AUDIT_VISIT, _("登记走访"))
        audit_action_register(services.AUDIT_NEED, _("办理企业诉求"))
        audit_action_register(services.AUDIT_IMPORT, _("导入企业名单"))
        audit_action_register(services.AUDIT_VIEW, _("查看企业联系人"))
        audit_action_register(ledger.AUDIT_LEDGER, _("物资入库或发放"))
        everyone = {Role.WORKER, Role.REVIEWER, Role.LEADER, Role.ADMIN}
        staff_link_register("enterprises_staff:list", _("企业"), roles=everyone)
        staff_link_register("enterprises_staff:needs", _("企业诉求"), roles=everyone)
        staff_link_register("enterprises_staff:supplies", _("物资台账"), roles=everyone)
        for template in (
            SmsTemplate(
                "ent_need_met",
                "{enterprise}：您反映的“{detail}”已办结（编号{reference}）。感谢支持复工复产！",
                ("enterprise", "detail", "reference"),
                _("企业诉求已办结"),
            ),
            SmsTemplate(
                "ent_need_overdue",
                "提醒：企业诉求{reference}（{enterprise}：{detail}）已超过办结期限{due}，请尽快办理。",
                ("reference", "enterprise", "detail", "due"),
                _("企业诉求逾期提醒"),
            ),
            SmsTemplate(
                "ent_report_link",
                "{enterprise}：如有复工复产方面的困难，请打开{link}反映，{days}天内有效。",
                ("enterprise", "link", "days"),
                _("企业反映诉求链接"),
            ),
        ):
            sms_template_register(template)
