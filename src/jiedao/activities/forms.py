"""The forms of activities: signing up (with the blood drive's questions), and an organiser's new
activity with its groups. Field rules only; what a sign-up may be is ``services.signup_create``'s."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiedao.lib.forms import MobileField, NameField
from jiedao.lib.forms import LanguageColonForm, iso_date_input, name_required_fields

from .models import Activity, Audience, Kind
from .services import DonorAnswers


def _text(**attrs):
    return forms.TextInput(attrs={"autocomplete": "off", **attrs})


class SignupForm(LanguageColonForm):
    name = NameField(label=_("姓名"), widget=_text(autocomplete="name"))
    phone = MobileField(
        label=_("手机号码"),
        help_text=_("报名结果和活动提醒会用短信发到这个号码。"),
        widget=_text(inputmode="numeric", autocomplete="tel"),
    )
    unit = forms.CharField(max_length=100, required=False, widget=_text())
    group = forms.ChoiceField(label=_("参加哪个小组"), required=False, widget=forms.RadioSelect)

    def __init__(self, *args, activity: Activity, **kwargs):
        super().__init__(*args, **kwargs)
        self.activity = activity
        if activity.unit_choices:  # only these branches or units may sign up
            self.fields["unit"] = forms.ChoiceField(
                label=activity.unit_label or _("单位或党支部"),
                choices=[(unit, unit) for unit in activity.unit_choices],
                widget=forms.RadioSelect,
                error_messages={"required": _("请选择%(label)s。") % {"label": activity.unit_label or _("单位或党支部")}},
            )
        elif activity.unit_label:
            self.fields["unit"].label = activity.unit_label
            self.fields["unit"].required = True
            self.fields["unit"].error_messages["required"] = _("请填写%(label)s。") % {"label": activity.unit_label}
        else:
            del self.fields["unit"]
        groups = list(activity.groups.all())
        if groups:
            self.fields["group"].choices = [
                (str(g.pk), f"{g.name}{'：' + g.task if g.task else ''}") for g in groups
            ]
            self.fields["group"].required = True
            self.fields["group"].error_messages["required"] = _("请选择参加哪个小组。")
        else:
            del self.fields["group"]
        if activity.screens_donors:
            self.fields.update(DonorFields().fields)
        name_required_fields(self)

    def chosen_group(self):
        pk = self.cleaned_data.get("group")
        return next((g for g in self.activity.groups.all() if str(g.pk) == pk), None) if pk else None

    def donor_answers(self) -> DonorAnswers | None:
        if not self.activity.screens_donors:
            return None
        data = self.cleaned_data
        return DonorAnswers(
            age=data["age"],
            weight_ok=data["weight_ok"] == "yes",
            unwell_recently=data["unwell_recently"] == "yes",
            last_donation=data.get("last_donation"),
        )


YES_NO = [("yes", _("是")), ("no", _("否"))]


class DonorFields(forms.Form):
    """The blood drive's questions: what a donation centre asks first, so no one comes in vain."""

    age = forms.IntegerField(
        label=_("您的年龄（周岁）"), min_value=1, max_value=120, widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={"required": _("请填写您的年龄。")},
    )  # fmt: skip
    weight_ok = forms.ChoiceField(
        label=_("体重是否达到：男性50公斤以上，女性45公斤以上？"), choices=YES_NO, widget=forms.RadioSelect,
        error_messages={"required": _("请回答体重的问题。")},
    )  # fmt: skip
    unwell_recently = forms.ChoiceField(
        label=_("最近两周内是否感冒、发烧或服用过药物？"), choices=YES_NO, widget=forms.RadioSelect,
        error_messages={"required": _("请回答最近两周身体情况的问题。")},
    )  # fmt: skip
    last_donation = forms.DateField(
        label=_("上次献全血的日期（没献过可不填）"), required=False, widget=iso_date_input()
    )
    sensitive_consent = forms.BooleanField(
        label=_("我单独同意街道处理上面的健康信息，只用于本次献血的预约，献血结束后删除，不会写进短信。"),
        error_messages={"required": _("请单独勾选同意处理健康信息，否则无法报名献血。")},
    )


class ActivityForm(LanguageColonForm, forms.ModelForm):
    starts_at = forms.DateTimeField(label=_("开始时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends_at = forms.DateTimeField(label=_("结束时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))

    class Meta:
        model = Activity
        fields = ["title", "code", "kind", "neighbourhood", "organiser", "place", "starts_at", "ends_at",
                  "capacity", "audience", "unit_label", "units", "description", "sms_note"]  # fmt: skip
        widgets = {"kind": forms.RadioSelect, "audience": forms.RadioSelect, "units": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, neighbourhoods, may_organise_subdistrict: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["neighbourhood"].queryset = neighbourhoods
        self.fields["neighbourhood"].required = not may_organise_subdistrict
        self.fields["kind"].choices = Kind.choices
        self.fields["audience"].choices = Audience.choices
        name_required_fields(self)
        start = timezone.localtime().replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
        self.fields["starts_at"].initial = start
        self.fields["ends_at"].initial = start + dt.timedelta(hours=2)


class GroupForm(forms.Form):
    name = forms.CharField(label=_("小组名称"), max_length=60, required=False)
    task = forms.CharField(label=_("任务"), max_length=200, required=False)
    place = forms.CharField(label=_("地点"), max_length=200, required=False)
    leader = forms.CharField(label=_("组长"), max_length=60, required=False)


GroupFormSet = forms.formset_factory(GroupForm, extra=6, max_num=12)


class CheckinForm(LanguageColonForm):
    phone = MobileField(label=_("报名时填的手机号码"), widget=_text(inputmode="numeric", autocomplete="tel"))
