"""The admin shows notices read-only, phones masked."""

import pytest
from django.contrib.auth import get_user_model

from jiedao.notices.models import Notice
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def test_the_admin_lists_and_shows_notices_without_letting_anyone_change_them(client, sms, make_case):
    application = make_case()
    notice = Notice.objects.get()
    sign_in(client, get_user_model().objects.create_superuser("root", password=None))
    listing = client.get("/admin/notices/notice/")
    assert listing.status_code == 200 and notice.masked_phone in listing.content.decode()
    detail = client.get(f"/admin/notices/notice/{notice.pk}/change/")
    assert detail.status_code == 200
    page = detail.content.decode()
    assert notice.text in page and application.phone not in page
    assert client.post(f"/admin/notices/notice/{notice.pk}/change/", {"text": "x"}).status_code == 403
    assert client.get("/admin/notices/notice/add/").status_code == 403
    assert client.get(f"/admin/notices/notice/{notice.pk}/delete/").status_code == 403
