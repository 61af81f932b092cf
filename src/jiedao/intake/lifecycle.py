"""The subsidy's life, as one table that every service consults (``HARDSHIP_LIFECYCLE``; other
service types declare their own ``service_types.Lifecycle``).

submitted → in_review → needs_more ⇄ resubmitted → approved | rejected → paid (from approved),
and withdrawn from any open state. An action not in the table for the current status is refused.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiedao.core.models import Role

from .service_types import Lifecycle


class Status(models.TextChoices):
    SUBMITTED = "submitted", pgettext_lazy("status", "已受理")
    IN_REVIEW = "in_review", pgettext_lazy("status", "审核中")
    NEEDS_MORE = "needs_more", pgettext_lazy("status", "需补充材料")
    RESUBMITTED = "resubmitted", pgettext_lazy("status", "已补充材料")
    APPROVED = "approved", pgettext_lazy("status", "已通过")
    REJECTED = "rejected", pgettext_lazy("status", "未通过")
    PAID = "paid", pgettext_lazy("status", "已发放")
    WITHDRAWN = "withdrawn", pgettext_lazy("status", "已撤回")


OPEN_STATUSES = frozenset(
    {Status.SUBMITTED, Status.IN_REVIEW, Status.NEEDS_MORE, Status.RESUBMITTED, Status.APPROVED}
)
CLOSED_STATUSES = frozenset(set(Status) - OPEN_STATUSES)


class Action(models.TextChoices):
    START_REVIEW = "start_review", _("开始审核")
    REQUEST_MORE = "request_more", _("要求补充材料")
    RESUBMIT = "resubmit", _("补充材料")
    APPROVE = "approve", _("审核通过")
    REJECT = "reject", _("审核不通过")
    RECORD_PAYMENT = "record_payment", _("登记发放")
    WITHDRAW = "withdraw", _("撤回申请")


TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    Action.START_REVIEW: (frozenset({Status.SUBMITTED, Status.RESUBMITTED}), Status.IN_REVIEW),
    Action.REQUEST_MORE: (frozenset({Status.IN_REVIEW}), Status.NEEDS_MORE),
    Action.RESUBMIT: (frozenset({Status.NEEDS_MORE}), Status.RESUBMITTED),
    Action.APPROVE: (frozenset({Status.IN_REVIEW}), Status.APPROVED),
    Action.REJECT: (frozenset({Status.IN_REVIEW}), Status.REJECTED),
    Action.RECORD_PAYMENT: (frozenset({Status.APPROVED}), Status.PAID),
    Action.WITHDRAW: (frozenset(OPEN_STATUSES), Status.WITHDRAWN),
}

# What the resident reads on the status page for each status: plain words, what happens next.
RESIDENT_EXPLANATIONS = {
    Status.SUBMITTED: _("您的申请已经受理，街道工作人员会尽快审核。"),
    Status.IN_REVIEW: _("工作人员正在审核您的申请和材料。"),
    Status.NEEDS_MORE: _("还需要补充材料，请按下面列出的材料补拍上传，或联系居委会帮忙。"),
    Status.RESUBMITTED: _("补充的材料已经收到，工作人员会继续审核。"),
    Status.APPROVED: _("审核已通过，补助将按规定发放。"),
    Status.REJECTED: _("很抱歉，审核没有通过，原因见下方说明。如有疑问请联系居委会。"),
    Status.PAID: _("补助已经发放。"),
    Status.WITHDRAWN: _("申请已经撤回。"),
}


# Who may take each action. Workers do the first check with the resident (start review, ask for
# material, withdraw at the resident's request) and send material in for them; decisions and
# payments belong to the renovation office.
ACTION_ROLES: dict[str, frozenset[str]] = {
    Action.START_REVIEW: frozenset({Role.WORKER, Role.REVIEWER, Role.ADMIN}),
    Action.REQUEST_MORE: frozenset({Role.WORKER, Role.REVIEWER, Role.ADMIN}),
    Action.RESUBMIT: frozenset({Role.WORKER, Role.REVIEWER, Role.ADMIN}),
    Action.APPROVE: frozenset({Role.REVIEWER, Role.ADMIN}),
    Action.REJECT: frozenset({Role.REVIEWER, Role.ADMIN}),
    Action.RECORD_PAYMENT: frozenset({Role.REVIEWER, Role.ADMIN}),
    Action.WITHDRAW: frozenset({Role.WORKER, Role.REVIEWER, Role.ADMIN}),
}

HARDSHIP_LIFECYCLE = Lifecycle(
    statuses=dict(Status.choices),
    open_statuses=OPEN_STATUSES,
    transitions=TRANSITIONS,
    action_labels=dict(Action.choices),
    explanations=RESIDENT_EXPLANATIONS,
    decisions=frozenset({Status.APPROVED, Status.REJECTED}),
    action_roles=ACTION_ROLES,
)


allowed_actions = HARDSHIP_LIFECYCLE.allowed_actions
