from django import forms
from django.utils.translation import gettext_lazy as _

from jiedao.core.models import AUDIT_ACTION_LABELS
from jiedao.intake.lifecycle import Action
from jiedao.intake.models import PaymentMethod
from jiedao.lib.forms import LanguageColonForm, iso_date_input


class TransitionForm(forms.Form):
    """One form for every action; the service decides which fields an action needs."""

    expected_status = forms.CharField(max_length=16, widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("给申请人的说明"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    missing_documents = forms.MultipleChoiceField(
        label=_("需要补充的材料"), required=False, widget=forms.CheckboxSelectMultiple
    )
    amount = forms.DecimalField(label=_("发放金额（元）"), required=False, min_value=0, max_digits=10, decimal_places=2)
    paid_on = forms.DateField(label=_("发放日期"), required=False, widget=iso_date_input())
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
    action = forms.ChoiceField(
        label=_("操作"), required=False, choices=lambda: [("", _("全部")), *AUDIT_ACTION_LABELS.items()]
    )
    reference = forms.CharField(label=_("受理编号"), required=False)
    day_from = forms.DateField(label=_("日期从"), required=False, widget=iso_date_input())
    day_to = forms.DateField(label=_("到"), required=False, widget=iso_date_input())
