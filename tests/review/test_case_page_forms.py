"""The case page's action forms: a payment goes through as pre-filled, and every id is unique."""

from collections import Counter
from html.parser import HTMLParser

from django.utils import timezone

from jiedao.intake.lifecycle import Action, Status
from jiedao.intake.transitions import application_transition
from tests.conftest import sign_in


class Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.references = Counter(), []
        self.forms, self.select = [], None  # every form's named fields with their values

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids[attrs["id"]] += 1
        for name in ("aria-describedby", "aria-labelledby"):
            self.references += (attrs.get(name) or "").split()
        if tag == "label" and attrs.get("for"):
            self.references.append(attrs["for"])
        if tag == "form":
            self.forms.append({"action": attrs.get("action"), "data": {}})
        elif tag == "option" and self.forms and self.select and "selected" in attrs:
            self.forms[-1]["data"][self.select] = attrs.get("value", "")
        elif tag in ("input", "select", "textarea") and self.forms and attrs.get("name"):
            self.select = attrs["name"] if tag == "select" else self.select
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.forms[-1]["data"][attrs["name"]] = attrs.get("value", "")



def approved_case_page(client, reviewer, make_case):
    application = make_case()
    for action in (Action.START_REVIEW, Action.APPROVE):
        application_transition(application=application, action=action, actor=reviewer)
    sign_in(client, reviewer)
    parser = Ids()
    parser.feed(client.get(f"/staff/cases/{application.reference}/").content.decode())
    return application, parser


def test_the_payment_form_goes_through_as_pre_filled(client, reviewer, make_case):
    application, page = approved_case_page(client, reviewer, make_case)
    form = next(f for f in page.forms if f["action"].endswith("/actions/record_payment/"))
    assert form["data"]["paid_on"] == timezone.localdate().isoformat()  # what <input type=date> accepts
    form["data"]["amount"] = "1500.00"  # the one thing a reviewer types
    response = client.post(form["action"], form["data"])
    assert response.status_code == 302, (form["data"], [l for l in response.content.decode().splitlines() if "error" in l])
    application.refresh_from_db()
    assert application.status == Status.PAID and application.paid_on == timezone.localdate()


def test_every_id_on_the_case_page_is_unique_and_every_reference_exists(client, reviewer, make_case):
    _application, page = approved_case_page(client, reviewer, make_case)
    assert [name for name, count in page.ids.items() if count > 1] == []
    assert [ref for ref in page.references if ref not in page.ids] == []
