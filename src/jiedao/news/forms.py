"""The forms of community news: field rules only."""

from django import forms
from django.utils.translation import gettext_lazy as _

from jiedao.lib.forms import LanguageColonForm, iso_date_input, name_required_fields

OFFICES = ("社区党建办", "党群工作办", "街道旧改办", "社区自治办", "社区发展办", "社区管理办", "社区平安办", "街道总工会")


class ArticleForm(LanguageColonForm):
    title = forms.CharField(label=_("标题"), max_length=120)
    subtitle = forms.CharField(label=_("副标题（可不填）"), max_length=160, required=False)
    dated = forms.DateField(label=_("日期"), widget=iso_date_input())
    office = forms.CharField(label=_("撰稿部门"), max_length=40, help_text=_("例如：社区党建办、街道旧改办、社区自治办。"),
                             widget=forms.TextInput(attrs={"list": "offices"}))
    body = forms.CharField(label=_("正文"), widget=forms.Textarea(attrs={"rows": 14}), help_text=_("每段一行，空行分段。"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        name_required_fields(self)


class PhotoForm(LanguageColonForm):
    image = forms.FileField(label=_("照片"))
    caption = forms.CharField(label=_("图片说明"), max_length=120)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        name_required_fields(self)
