"""The forms of enterprise outreach: field types only; what is allowed is ``services``' and
``ledger``'s to say (a wrong credit code, a duplicate, a handout larger than the stock...)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from jiedao.lib.forms import LanguageColonForm, MobileField, iso_date_input

from .models import Item, NeedKind, NeedStatus, Size


def _text(**attrs):
    return forms.TextInput(attrs={"autocomplete": "off", **attrs})


def staff_users():
    return get_user_model().objects.filter(is_staff=True, is_active=True).order_by("username")


class StaffChoice(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user.get_full_name() or user.get_username()


class StaffChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user):
        return user.get_full_name() or user.get_username()


class EnterpriseForm(LanguageColonForm):
    name = forms.CharField(label=_("企业名称"), max_length=120, widget=_text())
    uscc = forms.CharField(label=_("统一社会信用代码"), max_length=30, help_text=_("营业执照上的18位代码。"), widget=_text())
    neighbourhood = forms.ModelChoiceField(label=_("所在居民区"), queryset=None, required=False, empty_label=_("（不在居民区内）"))
    address = forms.CharField(label=_("地址"), max_length=200, required=False, widget=_text())
    sector = forms.CharField(label=_("行业"), max_length=60, required=False, widget=_text())
    size = forms.ChoiceField(label=_("规模"), choices=Size.choices, initial=Size.SMALL)
    union_separate = forms.BooleanField(label=_("单独建会"), required=False)
    contact_name = forms.CharField(label=_("联系人"), max_length=60, required=False, widget=_text())
    contact_phone = forms.CharField(label=_("联系人手机"), max_length=20, required=False, widget=_text(inputmode="numeric"))
    contact_title = forms.CharField(label=_("联系人职务"), max_length=60, required=False, widget=_text())

    def __init__(self, *args, neighbourhoods, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["neighbourhood"].queryset = neighbourhoods


class ImportForm(forms.Form):
    file = forms.FileField(label=_("企业名单（.xlsx）"))


class NeedFields(forms.Form):
    kind = forms.ChoiceField(label=_("诉求类别"), choices=[("", "—"), *NeedKind.choices], required=False)
    detail = forms.CharField(label=_("具体诉求"), max_length=300, required=False, widget=_text())
    quantity = forms.IntegerField(label=_("数量"), min_value=1, required=False)
    due_on = forms.DateField(label=_("办结期限"), required=False, widget=iso_date_input())
    owner = StaffChoice(label=_("负责人"), queryset=None, required=False)
    owner_office = forms.CharField(label=_("负责部门"), max_length=60, required=False, widget=_text())
    owner_phone = forms.CharField(label=_("负责人手机"), max_length=20, required=False, widget=_text(inputmode="numeric"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_users()


NeedFormSet = forms.formset_factory(NeedFields, extra=3, max_num=10)


class VisitForm(LanguageColonForm):
    visited_on = forms.DateField(label=_("走访日期"), widget=iso_date_input())
    staff = StaffChoices(label=_("走访人员"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple)
    visitors = forms.CharField(label=_("其他走访人员"), max_length=200, required=False, widget=_text(),
                               help_text=_("例如：街道党工委书记、街道工会"))  # fmt: skip
    notes = forms.CharField(label=_("了解到的情况"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = staff_users()


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=NeedStatus.choices)
    reason = forms.CharField(label=_("原因"), max_length=300, required=False, widget=_text())


class AssignForm(LanguageColonForm):
    owner = StaffChoice(label=_("负责人"), queryset=None, required=False)
    owner_office = forms.CharField(label=_("负责部门"), max_length=60, required=False, widget=_text())
    owner_phone = forms.CharField(label=_("负责人手机"), max_length=20, required=False, widget=_text(inputmode="numeric"),
                                  help_text=_("逾期提醒短信发到这个号码。"))  # fmt: skip
    due_on = forms.DateField(label=_("办结期限"), widget=iso_date_input())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_users()


class ItemForm(LanguageColonForm):
    name = forms.CharField(label=_("物资名称"), max_length=40, widget=_text())
    unit = forms.CharField(label=_("单位"), max_length=8, widget=_text(), help_text=_("例如：只、瓶、盒"))


class ReceiptForm(LanguageColonForm):
    item = forms.ModelChoiceField(label=_("物资"), queryset=Item.objects.all())
    quantity = forms.IntegerField(label=_("数量"), min_value=1)
    source = forms.CharField(label=_("来源"), max_length=100, widget=_text(), help_text=_("捐赠单位或采购"))
    note = forms.CharField(label=_("备注"), max_length=200, required=False, widget=_text())


class HandoutForm(LanguageColonForm):
    item = forms.ModelChoiceField(label=_("物资"), queryset=Item.objects.all())
    quantity = forms.IntegerField(label=_("数量"), min_value=1)
    enterprise = forms.ModelChoiceField(label=_("发给哪家企业"), queryset=None)
    need = forms.ModelChoiceField(label=_("对应的诉求（可不选）"), queryset=None, required=False)
    received_by = forms.CharField(label=_("领取人"), max_length=60, widget=_text())
    note = forms.CharField(label=_("备注"), max_length=200, required=False, widget=_text())
    # Filled by static/jiedao/signature.js from the signature pad (a PNG as a data URL).
    signature = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, enterprises, needs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = enterprises
        self.fields["need"].queryset = needs
        self.fields["need"].label_from_instance = lambda need: f"{need.reference} {need.enterprise.name}：{need.detail}"


class CorrectionForm(LanguageColonForm):
    quantity = forms.IntegerField(label=_("更正数量"), help_text=_("正数补回库存，负数减少库存。"))
    note = forms.CharField(label=_("更正原因"), max_length=200, widget=_text())


class ReportForm(LanguageColonForm):
    """The contact's own page: what they need; their name and phone if they want an SMS when it is met."""

    kind = forms.ChoiceField(label=_("需要哪方面的帮助"), choices=NeedKind.choices, widget=forms.RadioSelect,
                             error_messages={"required": _("请选择需要哪方面的帮助。")})  # fmt: skip
    detail = forms.CharField(label=_("具体需要什么"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"required": _("请写明具体需要什么。")})  # fmt: skip
    quantity = forms.IntegerField(label=_("数量（如有）"), min_value=1, required=False,
                                  widget=forms.NumberInput(attrs={"inputmode": "numeric"}))  # fmt: skip
    name = forms.CharField(label=_("您的姓名"), max_length=60, required=False, widget=_text(autocomplete="name"))
    phone = forms.CharField(label=_("您的手机号码"), max_length=20, required=False, help_text=_("办结后会短信告诉您。"),
                            widget=_text(inputmode="numeric", autocomplete="tel"))  # fmt: skip

    def clean_phone(self):
        """Optional, but a number typed must be a mobile: checked with the rest, so every problem shows at once."""
        phone = self.cleaned_data.get("phone", "")
        return MobileField().clean(phone) if phone.strip() else ""
