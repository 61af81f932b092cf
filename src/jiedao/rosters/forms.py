"""The forms of duty rosters: field rules only (the rules of shifts are ``services``')."""

from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiedao.lib.forms import LanguageColonForm, MobileField, NameField, iso_date_input, name_required_fields

from .models import Post, PostKind


class PostForm(LanguageColonForm, forms.ModelForm):
    class Meta:
        model = Post
        fields = ["neighbourhood", "name", "code", "kind", "headcount", "organiser_phone"]
        widgets = {"kind": forms.RadioSelect}

    def __init__(self, *args, neighbourhoods, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["neighbourhood"].queryset = neighbourhoods
        self.fields["kind"].choices = PostKind.choices
        name_required_fields(self)


class GenerateForm(LanguageColonForm):
    first_day = forms.DateField(label=_("从哪天"), widget=iso_date_input())
    last_day = forms.DateField(label=_("到哪天"), widget=iso_date_input())
    starts = forms.TimeField(label=_("每班开始"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    ends = forms.TimeField(label=_("每班结束"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    days = forms.ChoiceField(
        label=_("哪些日子"),
        choices=[("daily", _("每天")), ("weekdays", _("工作日（周一到周五）")), ("weekends", _("周末"))],
        widget=forms.RadioSelect,
        initial="daily",
    )
    skip = forms.CharField(
        label=_("不排班的日子（节假日）"), required=False, help_text=_("每个日期写成 2026-10-01，用空格或逗号分开。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["first_day"].initial = today + dt.timedelta(days=1)
        self.fields["last_day"].initial = today + dt.timedelta(days=30)
        self.fields["starts"].initial = dt.time(7, 0)
        self.fields["ends"].initial = dt.time(11, 0)
        name_required_fields(self)

    def clean_skip(self) -> frozenset[dt.date]:
        days = set()
        for text in re.split(r"[\s,，、]+", self.cleaned_data.get("skip", "").strip()):
            if not text:
                continue
            try:
                days.add(dt.date.fromisoformat(text))
            except ValueError:
                raise ValidationError(_("“%(text)s”不是日期，请写成 2026-10-01。") % {"text": text}) from None
        return frozenset(days)


class VolunteerForm(LanguageColonForm):
    neighbourhood = forms.ModelChoiceField(label=_("居民区"), queryset=None)
    name = NameField(label=_("姓名"))
    phone = MobileField(label=_("手机号码"), help_text=_("会收到一条短信，里面是他自己的排班页面链接。"))
    party_member = forms.BooleanField(label=_("党员"), required=False)

    def __init__(self, *args, neighbourhoods, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["neighbourhood"].queryset = neighbourhoods
        name_required_fields(self)


class PhoneForm(LanguageColonForm):
    phone = MobileField(label=_("您的手机号码"), widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "tel"}))
