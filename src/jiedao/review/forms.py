from django import forms
from django.utils.translation import gettext_lazy as _

from jiedao.lib.forms import LanguageColonForm
from jiedao.core.models import AuditAction
from jiedao.intake.lifecycle import Action, Status
from jiedao.intake.models import Channel, PaymentMethod
from jiedao.reports.models import RosterMatch



def _iso_date_input() -> forms.DateInput:
    # <input type=date> takes only YYYY-MM-DD; Chinese date formatting (2026/12/04) would leave it
    # empty, and a pre-filled date would have to be typed again.
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})

class QueueFilterForm(LanguageColonForm):
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        help_text=_("姓名、拼音或首字母（如 zzy）、身份证后4位、手机号或受理编号"),
    )
    neighbourhood = forms.ChoiceField(label=_("居民区"), required=False)
    block = forms.ChoiceField(label=_("旧改地块"), required=False)
    category = forms.ChoiceField(label=_("特殊对象类别"), required=False)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部"))] + Status.choices)
    channel = forms.ChoiceField(label=_("渠道"), required=False, choices=[("", _("全部"))] + Channel.choices)
    submitted_from = forms.DateField(label=_("受理日期从"), required=False, widget=_iso_date_input())
    submitted_to = forms.DateField(label=_("到"), required=False, widget=_iso_date_input())
    roster = forms.ChoiceField(
        label=_("在册户名单比对"), required=False, choices=[("", _("全部"))] + RosterMatch.choices
    )
    order = forms.ChoiceField(
        label=_("排序"),
        required=False,
        choices=[("newest", _("最新受理在前")), ("waiting", _("等待最久在前（未办结）"))],
    )

    def __init__(self, *args, neighbourhoods, blocks, categories, **kwargs):
        super().__init__(*args, **kwargs)
        everything = [("", _("全部"))]
        self.fields["neighbourhood"].choices = everything + [(n.code, n.display_name) for n in neighbourhoods]
        self.fields["block"].choices = everything + [(b.code, b.display_name) for b in blocks]
        # Categories of several programmes may share a code; one entry per code.
        seen = {}
        for category in categories:
            seen.setdefault(category.code, category.display_name)
        self.fields["category"].choices = everything + list(seen.items())


class TransitionForm(forms.Form):
    """One form for every action; the service decides which fields an action needs."""

    expected_status = forms.ChoiceField(choices=Status.choices, widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("给申请人的说明"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    missing_documents = forms.MultipleChoiceField(
        label=_("需要补充的材料"), required=False, widget=forms.CheckboxSelectMultiple
    )
    amount = forms.DecimalField(label=_("发放金额（元）"), required=False, min_value=0, max_digits=10, decimal_places=2)
    paid_on = forms.DateField(label=_("发放日期"), required=False, widget=_iso_date_input())
    method = forms.ChoiceField(label=_("发放方式"), required=False, choices=PaymentMethod.choices)

    def __init__(self, *args, action: str, document_types=(), **kwargs):
        # The case page shows one form per action: each its own ids (id_approve_note …).
        kwargs.setdefault("auto_id", f"id_{action}_%s")
        super().__init__(*args, **kwargs)
        self.action = action
        self.fields["missing_documents"].choices = [(d.code, d.display_name) for d in document_types]
        if action == Action.REJECT:
            self.fields["note"].label = _("不通过的原因（申请人会看到）")
            self.fields["note"].help_text = _(
                "这段原因会通过短信发到申请人（和代办人）的手机上，别人也可能看到："
                "请写清楚不通过的原因，但不要写病情、残疾等个人情况。"
            )
        if action not in (Action.REQUEST_MORE,):
            del self.fields["missing_documents"]
        if action != Action.RECORD_PAYMENT:
            for name in ("amount", "paid_on", "method"):
                del self.fields[name]


class AuditFilterForm(LanguageColonForm):
    actor = forms.CharField(label=_("操作人用户名"), required=False)
    action = forms.ChoiceField(label=_("操作"), required=False, choices=[("", _("全部"))] + AuditAction.choices)
    reference = forms.CharField(label=_("受理编号"), required=False)
    day_from = forms.DateField(label=_("日期从"), required=False, widget=_iso_date_input())
    day_to = forms.DateField(label=_("到"), required=False, widget=_iso_date_input())
