"""The rating forms: thin. What makes a rating valid (levels, 1–5 scores, the comment's length)
is ``services._clean``'s; these only draw the fields and keep what was typed on an error."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from jiedao.lib.forms import LanguageColonForm

from .models import INDICATORS, Level

SCORES = [(str(score), str(score)) for score in (5, 4, 3, 2, 1)]


class RatingForm(LanguageColonForm):
    level = forms.ChoiceField(
        label=_("您对这次办事满意吗？"),
        choices=[(str(value), label) for value, label in Level.choices],
        widget=forms.RadioSelect,
        required=False,
    )
    comment = forms.CharField(
        label=_("意见和建议（可以不填）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("不满意的话，请告诉我们哪里做得不好，我们会联系您、改进并答复您。"),
    )

    def __init__(self, *args, indicators_required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        fields = {}
        for name, label in INDICATORS.items():
            fields[name] = forms.ChoiceField(
                label=label,
                choices=SCORES if indicators_required else [("", _("不打分")), *SCORES],
                widget=forms.RadioSelect(attrs={"class": "scale"}),
                required=False,
                help_text=_("5分最好，1分最差") if name == "overall" else "",
            )
        # The level first, then the five scores, then the comment.
        comment = self.fields.pop("comment")
        self.fields.update(fields)
        self.fields["comment"] = comment
        self.indicator_names = list(INDICATORS)

    def indicator_fields(self) -> list:
        return [self[name] for name in self.indicator_names]

    def indicator_values(self) -> dict:
        return {name: self.data.get(name, "") for name in INDICATORS}


class CallForm(LanguageColonForm):
    called_at = forms.DateTimeField(label=_("回访时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    call_outcome = forms.CharField(label=_("回访情况"), widget=forms.Textarea(attrs={"rows": 3}))


class AnswerForm(LanguageColonForm):
    answer = forms.CharField(
        label=_("整改情况或解释"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("会以短信发给评价人：写清楚做了什么、结果如何，不要写身份证号等个人信息。"),
    )


class AppealForm(LanguageColonForm):
    reason = forms.CharField(
        label=_("申诉理由"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("例如：评价的内容与这件事无关，或有恶意评价的依据。"),
    )


class AppealDecisionForm(LanguageColonForm):
    upheld = forms.ChoiceField(
        label=_("审核结果"),
        choices=[("1", _("申诉成立：这条评价不计入统计（保留记录）")), ("0", _("申诉不成立：照常计入"))],
        widget=forms.RadioSelect,
    )
    decision_note = forms.CharField(label=_("审核意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
