# Staff of every role and the case maker are shared with the back-office tests.
from tests.review.conftest import admin_user, leader, make_case, reviewer, worker, zj_worker  # noqa: F401
