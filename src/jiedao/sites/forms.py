"""The forms of the site register: field rules only; what may be recorded is ``services``'."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from jiedao.lib.forms import IdNumberField, LanguageColonForm, MobileField, NameField, iso_date_input, name_required_fields

from .models import CommitmentKind, Direction, HealthCode, Site, SiteStatus


def _text(**attrs):
    return forms.TextInput(attrs={"autocomplete": "off", **attrs})


class GateOpenForm(LanguageColonForm):
    site = forms.CharField(label=_("工地代码"), max_length=40, widget=_text(autocapitalize="none"))
    pin = forms.CharField(label=_("门岗口令"), max_length=12, widget=_text(inputmode="numeric"),
                          help_text=_("8位数字，向居委会索取。"))  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        name_required_fields(self)


class GateEntryForm(LanguageColonForm):
    pass_text = forms.CharField(
        label=_("出入证号"), max_length=400,
        help_text=_("扫描工人手机上的出入证二维码，或输入出入证上的8位号码。"),
        widget=_text(autocapitalize="characters", spellcheck="false", **{"data-pass-input": ""}),
    )  # fmt: skip
    temperature = forms.CharField(
        label=_("体温（℃）"), max_length=8, required=False,
        help_text=_("进场必须测温；出场可不填。"), widget=_text(inputmode="decimal", **{"data-temperature": ""}),
    )  # fmt: skip
    health_code = forms.ChoiceField(label=_("今天的健康码"), choices=HealthCode.choices, initial=HealthCode.GREEN,
                                    widget=forms.RadioSelect)  # fmt: skip
    direction = forms.ChoiceField(label=_("进场还是出场"), choices=Direction.choices, initial=Direction.IN, widget=forms.RadioSelect)
    key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pass_text"].error_messages["required"] = _("请扫描或输入出入证号。")
        name_required_fields(self)


class WorkerForm(LanguageColonForm):
    name = NameField(label=_("姓名"), widget=_text(autocomplete="name"))
    id_number = IdNumberField(label=_("身份证号码"), widget=_text(inputmode="text", autocapitalize="characters"))
    phone = MobileField(label=_("手机号码"), help_text=_("出入证批准后，短信发到这个号码。"), widget=_text(inputmode="numeric", autocomplete="tel"))
    trade = forms.CharField(label=_("工种"), max_length=40, required=False, widget=_text(), help_text=_("例如：电焊工、钢结构安装"))
    health_code = forms.ChoiceField(label=_("今天的健康码颜色"), choices=HealthCode.choices, widget=forms.RadioSelect)
    signature = forms.CharField(
        label=_("签名：再输入一遍姓名"), max_length=100,
        help_text=_("输入姓名即表示本人已阅读并签署《加装电梯施工人员管理承诺书》。"), widget=_text(),
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["signature"].error_messages["required"] = _("请输入姓名签署承诺书。")
        name_required_fields(self)


class SiteForm(LanguageColonForm, forms.ModelForm):
    manager_phone = MobileField(label=_("现场负责人手机"), widget=_text(inputmode="numeric"))
    responsible_phone = MobileField(label=_("负责人手机（收短信）"), widget=_text(inputmode="numeric"))
    builder_uscc = forms.CharField(label=_("统一社会信用代码"), max_length=30, widget=_text(autocapitalize="characters"))

    class Meta:
        model = Site
        fields = ["name", "code", "neighbourhood", "place", "builder_name", "builder_uscc", "manager_name", "manager_phone",
                  "responsible", "responsible_phone", "committee_phone", "work_hours", "rules", "status"]  # fmt: skip
        widgets = {"rules": forms.Textarea(attrs={"rows": 5}), "status": forms.RadioSelect}

    def __init__(self, *args, neighbourhoods, responsible_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["neighbourhood"].queryset = neighbourhoods
        self.fields["responsible"].queryset = responsible_choices
        self.fields["responsible"].label_from_instance = lambda user: user.get_full_name() or user.get_username()
        self.fields["status"].choices = SiteStatus.choices
        name_required_fields(self)

    def _post_clean(self):  # the rules are the service's (site_clean), not the model's
        pass


class PassApproveForm(LanguageColonForm):
    valid_from = forms.DateField(label=_("有效期自"), widget=iso_date_input())
    valid_until = forms.DateField(label=_("有效期至"), widget=iso_date_input())


class RefusalCloseForm(LanguageColonForm):
    note = forms.CharField(label=_("处理情况"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}),
                           error_messages={"required": _("请写下处理情况再关闭，例如“已复测36.8℃”或“已送发热门诊”。")})  # fmt: skip


class CommitmentForm(LanguageColonForm):
    kind = forms.ChoiceField(label=_("类型"), choices=CommitmentKind.choices, widget=forms.RadioSelect)
    signed_by = forms.CharField(label=_("签署方"), max_length=200, help_text=_("例如：居委会、业委会、物业、施工单位"))
    signed_on = forms.DateField(label=_("签署日期"), widget=iso_date_input())
    file = forms.FileField(label=_("PDF文件或照片"), widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/*"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        name_required_fields(self)


class StatusForm(LanguageColonForm):
    status = forms.ChoiceField(label=_("工地状态"), choices=SiteStatus.choices, widget=forms.RadioSelect)
