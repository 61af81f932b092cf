"""The field rules of an application, one form per question group (one group per page).

The public wizard shows these forms page by page; ``application_submit`` runs all of them again on
the whole set of answers, so the API and staff filing get exactly the same checks.
"""

from __future__ import annotations


from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from jiedao.lib.forms import IdNumberField, MobileField, NameField, name_required_fields

from .models import Programme
from .selectors import block_for_address

RELATIONSHIPS = [
    ("child", _("子女")),
    ("spouse", _("配偶")),
    ("parent", _("父母")),
    ("sibling", _("兄弟姐妹")),
    ("grandchild", _("孙子女、外孙子女")),
    ("relative", _("其他亲属")),
    ("other", _("其他（邻居、朋友等）")),
]

class QuestionForm(forms.Form):
    """A question group; every group takes the programme so that they can be run uniformly, and
    the staff desk's neighbourhood scope (``neighbourhood_ids``: None for all of the programme's),
    which a group that asks for the neighbourhood must honour."""

    def __init__(self, *args, programme: Programme | None = None, neighbourhood_ids=None, **kwargs):
        self.programme = programme
        self.neighbourhood_ids = neighbourhood_ids
        super().__init__(*args, **kwargs)
        name_required_fields(self)


def _text_input(**attrs):
    return forms.TextInput(attrs={"autocomplete": "off", **attrs})


class WhoForm(QuestionForm):
    who = forms.ChoiceField(
        label=_("您是为谁申请？"),
        choices=[("self", _("为我自己申请")), ("proxy", _("为家人代办申请"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择是为自己申请，还是为家人代办。")},
    )


class StaffWhoForm(QuestionForm):
    who = forms.ChoiceField(
        label=_("申请人是自己办理，还是由家属代办？"),
        choices=[("self", _("申请人本人（由我协助）")), ("proxy", _("家属代办（由我协助）"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择是申请人本人，还是家属代办。")},
    )


class ChannelForm(QuestionForm):
    """Staff filing for a resident say how they are helping; residents never see this question."""

    channel = forms.ChoiceField(
        label=_("您是怎样帮助申请人办理的？"),
        choices=[
            ("phone", _("电话指导申请人，由我录入")),
            ("home_visit", _("上门协助申请")),
            ("counter", _("申请人到窗口办理")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择办理方式。")},
    )


class ProxyForm(QuestionForm):
    proxy_name = NameField(label=_("代办人（您）的姓名"), widget=_text_input(autocomplete="name"))
    proxy_phone = MobileField(
        label=_("代办人（您）的手机号码"),
        help_text=_("办理进度短信也会发到这个号码。"),
        widget=_text_input(inputmode="numeric", autocomplete="tel"),
    )
    proxy_relationship = forms.ChoiceField(
        label=_("您和申请人的关系"),
        choices=RELATIONSHIPS,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择您和申请人的关系。")},
    )


class StaffProxyForm(ProxyForm):
    """At the staff desk "you" is the staff member, so the proxy is named in the third person."""

    proxy_name = NameField(label=_("代办家属的姓名"), widget=_text_input())
    proxy_phone = MobileField(
        label=_("代办家属的手机号码"),
        help_text=_("办理进度短信也会发到这个号码。"),
        widget=_text_input(inputmode="numeric"),
    )
    proxy_relationship = forms.ChoiceField(
        label=_("代办家属和申请人的关系"),
        choices=RELATIONSHIPS,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择代办家属和申请人的关系。")},
    )


class ApplicantForm(QuestionForm):
    name = NameField(label=_("申请人姓名"), help_text=_("和身份证上一致。"))
    id_number = IdNumberField(
        label=_("申请人身份证号码"),
        help_text=_("18位，最后一位可能是字母X。"),
        widget=_text_input(inputmode="text", autocapitalize="characters", spellcheck="false"),
    )
    phone = MobileField(
        label=_("申请人手机号码"),
        help_text=_("用于接收办理进度短信，查询进度时也要用到。"),
        widget=_text_input(inputmode="numeric", autocomplete="tel"),
    )


def with_phone(message: str, phone: str) -> str:
    """``message`` with its %(phone)s kept on one line: a number broken at its hyphen is misread."""
    return mark_safe(conditional_escape(message) % {"phone": format_html('<span class="nowrap">{}</span>', phone)})


def neighbourhood_choices(programme: Programme, neighbourhood_ids=None) -> list[tuple[str, str]]:
    """The programme's neighbourhoods; a committee worker files for their own ones only."""
    neighbourhoods = programme.neighbourhoods.all()
    if neighbourhood_ids is not None:
        neighbourhoods = neighbourhoods.filter(id__in=neighbourhood_ids)
    return [(n.code, n.display_name) for n in neighbourhoods]


# The "不清楚" answer to the block question; resolved from the address, never stored.
UNKNOWN_BLOCK = "unknown"


class AddressForm(QuestionForm):
    neighbourhood = forms.ChoiceField(
        label=_("所在居民区"),
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择您所在的居民区。"), "invalid_choice": _("请从列表中选择居民区。")},
    )
    block = forms.ChoiceField(
        label=_("所在旧改地块"),
        help_text=_("不知道地块的名称？选“不清楚”，我们会根据上面填的门牌地址告诉您；也可以问居委会。"),
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择您家所在的旧改地块。"), "invalid_choice": _("请从列表中选择旧改地块。")},
    )
    address_road = forms.CharField(
        label=_("路名"), max_length=100, widget=_text_input(placeholder=_("例如：中兴路")),
        error_messages={"required": _("请填写路名。")},
    )
    address_lane = forms.CharField(
        label=_("弄"), max_length=20, required=False, widget=_text_input(inputmode="numeric")
    )
    address_number = forms.CharField(
        label=_("号"), max_length=20, widget=_text_input(inputmode="numeric"),
        error_messages={"required": _("请填写门牌号。")},
    )
    address_room = forms.CharField(label=_("室"), max_length=20, required=False, widget=_text_input())

    def __init__(self, *args, programme: Programme, offer_unknown_block=False, **kwargs):
        super().__init__(*args, programme=programme, **kwargs)
        # The block the places data gives for a "不清楚" answer, shown for the resident to confirm.
        self.block_suggestion = None
        self.fields["neighbourhood"].choices = neighbourhood_choices(programme, self.neighbourhood_ids)
        blocks = [(b.code, b.display_name) for b in programme.blocks.all()]
        if offer_unknown_block:  # the wizard's question; the API names a block or gets an error
            blocks.append((UNKNOWN_BLOCK, _("不清楚，请根据门牌地址判断")))
        self.fields["block"].choices = blocks
        # The block is asked after the address, so that "不清楚" can be answered from it.
        self.order_fields(["neighbourhood", "address_road", "address_lane", "address_number", "address_room", "block"])

    def is_valid(self) -> bool:
        return super().is_valid() and self.block_suggestion is None

    def clean_address_road(self):
        return self.cleaned_data["address_road"].strip()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("block") != UNKNOWN_BLOCK:
            return cleaned
        # "不清楚" is never stored: the page comes back with the block the places data gives for
        # this address already chosen, for the resident to confirm, or with whom to ask.
        cleaned.pop("block")
        if "address_road" not in cleaned:
            return cleaned  # the road's own error says what to fix first
        block = block_for_address(self.programme, cleaned["address_road"], cleaned.get("address_lane", ""))
        if block is not None:
            # Not an error: the page comes back with the block chosen and a note saying why.
            self.data = self.data.copy()
            self.data[self.add_prefix("block")] = block.code
            self.block_suggestion = block
            return cleaned
        neighbourhood = self.programme.neighbourhoods.filter(code=cleaned.get("neighbourhood") or "").first()
        phone = (neighbourhood.committee_phone if neighbourhood else "") or self.programme.subdistrict.office_phone
        self.add_error(
            "block",
            ValidationError(
                with_phone(_("从您填的地址看不出属于哪个地块。请核对路名和弄号，或打电话问居委会：%(phone)s。"), phone)
                if phone
                else _("从您填的地址看不出属于哪个地块。请核对路名和弄号，或问居委会。"),
                code="block_unknown",
            ),
        )
        return cleaned


class CategoriesForm(QuestionForm):
    categories = forms.MultipleChoiceField(
        label=_("申请人属于哪类特殊对象？（可以多选）"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("请至少选择一类特殊对象。"), "invalid_choice": _("请从列表中选择。")},
    )
    household_note = forms.CharField(
        label=_("家庭情况说明（可不填）"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, programme: Programme, **kwargs):
        super().__init__(*args, programme=programme, **kwargs)
        self.fields["categories"].choices = [(c.code, c.display_name) for c in programme.categories.all()]


class ConsentForm(QuestionForm):
    # Said above the boxes on the check page.
    purpose = _("街道只为审核和发放本次帮困补助使用这些信息，不会用于其他用途。")

    consent = forms.BooleanField(
        label=_("我同意街道为办理本次帮困补助收集、使用上面填写的个人信息。"),
        error_messages={"required": _("请勾选同意收集个人信息，否则无法受理申请。")},
    )
    sensitive_consent = forms.BooleanField(
        label=_("我单独同意街道处理身份证件照片、残疾和疾病等敏感个人信息，仅用于审核本次申请。"),
        error_messages={"required": _("请单独勾选同意处理敏感个人信息，否则无法审核申请。")},
    )


# The answers with a column of their own on an application (and a place on the check page and the
# case page); a service type's other answers are kept in ``Application.extra_answers``.
OWN_COLUMNS = frozenset(
    {"channel", "who", "proxy_name", "proxy_phone", "proxy_relationship", "name", "id_number", "phone",
     "neighbourhood", "block", "address_road", "address_lane", "address_number", "address_room",
     "categories", "household_note"}
)  # fmt: skip


def extra_answers(programme: Programme, cleaned: dict) -> dict:
    """The cleaned answers to the programme's own questions that have no column (``OWN_COLUMNS``)."""
    asked = {name for form in programme.kind.question_forms.values() for name in form.base_fields}
    return {name: value for name, value in cleaned.items() if name in asked and name not in OWN_COLUMNS}


def answer_rows(programme: Programme, answers: dict) -> list[tuple[str, str, str]]:
    """(question, answer as the reader sees it, step) for each answer without a column of its
    own, in the order asked: what the check page and the case page list for such questions."""
    rows = []
    kind = programme.kind
    for step in kind.question_steps(answers):
        form = kind.question_forms[step](programme=programme)
        for name, field in form.fields.items():
            if name in OWN_COLUMNS or name not in answers:
                continue
            value = answers[name]
            choices = {str(key): label for key, label in (getattr(field, "choices", None) or ())}
            if isinstance(value, list):
                shown = "、".join(str(choices.get(str(item), item)) for item in value)
            else:
                shown = str(choices.get(str(value), value))
            rows.append((str(field.label), shown, step))
    return rows


def clean_answers(programme: Programme, answers: dict) -> tuple[dict, dict[str, list[str]]]:
    """Run every question group of the programme's service type over a complete set of answers:
    (cleaned, errors by field)."""
    cleaned: dict = {}
    errors: dict[str, list[str]] = {}
    kind = programme.kind
    groups = [kind.question_forms[step](answers, programme=programme) for step in kind.question_steps(answers)]
    for form in groups:
        if form.is_valid():
            cleaned.update(form.cleaned_data)
        else:
            for field, messages in form.errors.items():
                errors.setdefault(field, []).extend(str(message) for message in messages)
    return cleaned, errors
