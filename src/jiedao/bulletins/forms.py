"""The forms of public notices: field rules only (the rules of notices are ``services``')."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiedao.core.models import Block, Neighbourhood
from jiedao.lib.forms import (
    LanguageColonForm,
    MobileField,
    NameField,
    iso_date_input,
    name_required_fields,
)
from jiedao.lib.public_lists import list_sources

from .models import BulletinKind, ObjectionOutcome


class BulletinForm(LanguageColonForm):
    title = forms.CharField(label=_("标题"), max_length=120)
    kind = forms.ChoiceField(label=_("公示类型"), choices=BulletinKind.choices, widget=forms.RadioSelect, initial=BulletinKind.TEXT)
    body = forms.CharField(label=_("正文"), widget=forms.Textarea(attrs={"rows": 8}), required=False)
    list_source = forms.ChoiceField(label=_("名单来源"), required=False)
    list_period = forms.CharField(label=_("名单期间"), max_length=20, required=False, help_text=_("例如审核通过的月份：2026-03。"))
    neighbourhoods = forms.ModelMultipleChoiceField(
        label=_("涉及的居民区"), queryset=Neighbourhood.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    blocks = forms.ModelMultipleChoiceField(
        label=_("涉及的地块"), queryset=Block.objects.filter(active=True), required=False, widget=forms.CheckboxSelectMultiple
    )
    starts_on = forms.DateField(label=_("公示开始日期"), widget=iso_date_input())
    ends_on = forms.DateField(label=_("公示结束日期"), widget=iso_date_input(), help_text=_("公示期的最后一天，异议在这一天结束前都可以提。"))
    office = forms.CharField(label=_("负责部门"), max_length=60, help_text=_("例如：街道旧改办、社区自治办、芷江新村居委会。"))
    office_phone = forms.CharField(label=_("联系电话"), max_length=20)
    sms_push = forms.BooleanField(label=_("发布时短信通知涉及的居民（每人一条）"), required=False)

    def __init__(self, *args, neighbourhoods, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["neighbourhoods"].queryset = neighbourhoods
        self.fields["list_source"].choices = [("", "—")] + [(s.name, s.label) for s in list_sources()]
        today = timezone.localdate()
        self.fields["starts_on"].initial = today
        self.fields["ends_on"].initial = today + dt.timedelta(days=7)
        name_required_fields(self)


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("附件（PDF或照片）"))


class ObjectionForm(LanguageColonForm):
    name = NameField(label=_("您的姓名"))
    phone = MobileField(label=_("您的手机号码"), help_text=_("答复会用短信发到这个号码。"),
                        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "tel"}))
    person = forms.ChoiceField(label=_("对名单上哪一位有异议（可不选）"), required=False)
    what = forms.CharField(label=_("对什么有异议"), max_length=200, help_text=_("例如：名单上某人的情况、公示的某一项内容。"))
    why = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 5}), max_length=2000)
    photo = forms.FileField(label=_("照片（可不传）"), required=False)

    def __init__(self, *args, bulletin, **kwargs):
        super().__init__(*args, **kwargs)
        rows = bulletin.list_rows or []
        if rows:
            # The row's number, not its key: the key (a case reference) never leaves the server.
            self.fields["person"].choices = [("", "—")] + [(str(i), " ".join(r["cells"][:2])) for i, r in enumerate(rows, 1)]
        else:
            del self.fields["person"]
        self.bulletin = bulletin
        name_required_fields(self)

    def person_key(self) -> str:
        number = self.cleaned_data.get("person") or ""
        rows = self.bulletin.list_rows or []
        return rows[int(number) - 1]["key"] if number.isdigit() and 0 < int(number) <= len(rows) else ""


class AnswerForm(LanguageColonForm):
    outcome = forms.ChoiceField(label=_("处理结果"), choices=ObjectionOutcome.choices, widget=forms.RadioSelect)
    answer = forms.CharField(label=_("书面答复"), widget=forms.Textarea(attrs={"rows": 6}),
                             help_text=_("异议人会在短信链接里看到这段答复。"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        name_required_fields(self)
