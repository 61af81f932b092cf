"""A case of any service has ended: the one topic that service ratings (好差评) subscribe to.

The State Council's rule asks for one rating per case of every government service (一事一评).
Each service publishes ``case_ended`` inside the transaction that ends one of its cases (a subsidy
decided or paid, an objection answered, an enterprise need met, ...); the ratings app subscribes in
its ``AppConfig.ready``. A service never imports the ratings app, and ratings import no service:
the event carries all a rating needs to know about the case.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from jiedao.lib.events import Topic


@dataclass(frozen=True)
class CaseEnded:
    service: str  # the service's key, stable: "hardship", "objection", "enterprise_need", ...
    service_label: str  # 事项名称, as the rating platforms show it
    case_key: str  # 办件编号: unique within the service (a reference number, or "<service>-<pk>")
    outcome: str  # what the person is told the case came to, in words (已批准, 已答复, ...)
    phone: str  # where the rating link goes; "" when the case has no phone (no SMS then)
    person_name: str
    handler_id: int | None  # the staff user who handled the case: owns a bad rating's follow-up
    office: str  # the office responsible (街道办, a neighbourhood committee, 工会, ...)
    ended_at: datetime.datetime
    neighbourhood_id: int | None = None  # for staff scoping of the ratings, when the case has one


case_ended: Topic[CaseEnded] = Topic("case_ended")
