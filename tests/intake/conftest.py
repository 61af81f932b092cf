from jiedao.core.models import Role
from jiedao.intake.transitions import application_transition
from tests.factories import make_staff


def request_hukou(application):
    """The renovation office asks the resident for the household register's pages."""
    reviewer = make_staff("reviewer", Role.REVIEWER)
    application_transition(application=application, action="start_review", actor=reviewer)
    return application_transition(
        application=application,
        action="request_more",
        actor=reviewer,
        note="请补拍户口簿首页和本人页。",
        missing_document_codes=["hukou"],
    )
