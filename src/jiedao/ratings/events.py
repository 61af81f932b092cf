"""What happens to a rating, published inside the transaction of each write (``rating_events``).

Nothing subscribes yet; a partner platform's push (the provincial 好差评 system) or a dashboard
tally would, without editing the writers (``lib.events`` says why this is not a Django signal).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from jiedao.lib.events import Topic


class RatingEventKind(StrEnum):
    INVITED = "invited"  # a case ended: its invitation and the SMS with the link
    RATED = "rated"  # the one rating of the case (and its rectification, when bad)
    CALLED = "called"  # the follow-up call of a bad rating was recorded
    ANSWERED = "answered"  # the rater was given the fix or the explanation
    APPEALED = "appealed"
    APPEAL_DECIDED = "appeal_decided"


@dataclass(frozen=True)
class RatingEvent:
    kind: RatingEventKind
    invitation: object  # models.Invitation
    at: dt.datetime
    rating: object | None = None  # models.Rating


rating_events: Topic[RatingEvent] = Topic("ratings.rating_events")
