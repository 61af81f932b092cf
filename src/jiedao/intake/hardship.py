"""The renovation hardship subsidy (旧改特殊对象帮困补助) as a service type: the first one.

Who asks (self or a family member), the applicant, the address with its renovation block, the
special-category groups (each with its documents), two consents; a lifecycle with a request for
more documents and a payment; an SMS at each status that matters to the resident; a dashboard by
neighbourhood, block, category, channel and status; reviewers are the renovation office.
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from jiedao.core.models import Role
from jiedao.notices.models import Event

from .forms import AddressForm, ApplicantForm, CategoriesForm, ConsentForm, ProxyForm, WhoForm
from .lifecycle import HARDSHIP_LIFECYCLE, Status
from .service_types import DEFAULT_SERVICE_TYPE, ServiceType



def _headline(count: int, date: str) -> str:
    return ngettext("截至%(date)s，共受理帮困申请 %(counter)s 件", "截至%(date)s，共受理帮困申请 %(counter)s 件", count) % {
        "date": date,
        "counter": count,
    }


HARDSHIP = ServiceType(
    code=DEFAULT_SERVICE_TYPE,
    name=_("旧改特殊对象帮困补助"),
    lifecycle=HARDSHIP_LIFECYCLE,
    question_forms={
        "who": WhoForm,
        "proxy": ProxyForm,
        "applicant": ApplicantForm,
        "address": AddressForm,
        "categories": CategoriesForm,
    },
    step_titles={
        "who": _("您是为谁申请？"),
        "proxy": _("代办人信息"),
        "applicant": _("申请人信息"),
        "address": _("申请人住址"),
        "categories": _("特殊对象类别"),
    },
    consent_form=ConsentForm,
    sms_events={
        Status.SUBMITTED: Event.RECEIVED,
        Status.NEEDS_MORE: Event.NEEDS_MORE,
        Status.APPROVED: Event.APPROVED,
        Status.REJECTED: Event.REJECTED,
        Status.PAID: Event.PAID,
        Status.WITHDRAWN: Event.WITHDRAWN,
    },
    needs_block=True,
    has_categories=True,
    pays_out=True,
    dashboard_dimensions=("neighbourhood", "block", "category", "channel", "status"),
    dashboard_headline=_headline,
    role_labels={Role.REVIEWER: _("审核人员（旧改分指挥部）")},
)
