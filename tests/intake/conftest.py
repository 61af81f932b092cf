from django.contrib.auth import get_user_model

from jiedao.core.models import Role, StaffProfile
from jiedao.intake.transitions import application_transition


def request_hukou(application):
    """The renovation office asks the resident for the household register's pages."""
    reviewer = get_user_model().objects.create_user("reviewer", is_staff=True)
    StaffProfile.objects.create(user=reviewer, role=Role.REVIEWER)
    application_transition(application=application, action="start_review", actor=reviewer)
    return application_transition(
        application=application,
        action="request_more",
        actor=reviewer,
        note="请补拍户口簿首页和本人页。",
        missing_document_codes=["hukou"],
    )
