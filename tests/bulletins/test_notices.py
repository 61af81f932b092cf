"""Public notices (公示) as residents and staff see them: the current list with its countdown and
the archive, a notice's page and its A4 sheet with the QR code, attachments checked, a notice
whose end is before its start refused, and the staff's pages scoped to their neighbourhoods."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from jiedao.bulletins import services
from jiedao.bulletins.models import Bulletin, BulletinStatus
from jiedao.core.models import AuditEntry, Neighbourhood, Role
from jiedao.lib.errors import ValidationFailed
from jiedao.lib.uploads import UploadRefused
from jiedao.notices.models import Notice
from tests.conftest import next_url, sign_in
from tests.factories import ApplicationFactory, BulletinFactory, make_staff

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def jpeg(width=64, height=40) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 80, 40)).save(out, "JPEG")
    return out.getvalue()


def _form(**overrides) -> dict:
    today = timezone.localdate()
    data = {
        "title": "光机小区加装电梯施工管理承诺书公示",
        "kind": "text",
        "body": "现将《加装电梯施工管理承诺书》公示如下。",
        "list_source": "",
        "list_period": "",
        "starts_on": today.isoformat(),
        "ends_on": (today + dt.timedelta(days=7)).isoformat(),
        "office": "社区自治办",
        "office_phone": "021-56330199",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_the_current_notices_show_a_countdown_and_past_ones_are_archived(client):
    today = timezone.localdate()
    BulletinFactory(title="电梯承诺书公示", ends_on=today + dt.timedelta(days=3))
    BulletinFactory(title="最后一天的公示", ends_on=today)
    BulletinFactory(title="上个月的公示", starts_on=today - dt.timedelta(days=40), ends_on=today - dt.timedelta(days=33))
    BulletinFactory(title="还在起草的公示", status=BulletinStatus.DRAFT)
    BulletinFactory(title="下周的公示", starts_on=today + dt.timedelta(days=7), ends_on=today + dt.timedelta(days=14))

    page = client.get("/notices/").content.decode()
    assert "电梯承诺书公示" in page and "公示期还有 3 天" in page
    assert "今天是公示期最后一天" in page
    current, archive = page.split("往期公示")
    assert "上个月的公示" in archive and "上个月的公示" not in current
    assert "还在起草的公示" not in page
    assert "即将公示" in current and "下周的公示" in current.split("即将公示")[1]
    english = client.get("/en/notices/").content.decode()
    assert "3 days left to object" in english


@pytest.mark.django_db
def test_a_notice_page_gives_period_office_phone_and_a_printable_sheet_with_a_qr_code(client):
    bulletin = BulletinFactory()
    page = client.get(f"/notices/{bulletin.pk}/").content.decode()
    assert bulletin.title in page and "社区自治办" in page and "021-56330199" in page
    assert "提出异议" in page and "公示期还有 3 天" in page
    sheet = client.get(f"/notices/{bulletin.pk}/print/").content.decode()
    assert "<svg" in sheet and f"/notices/{bulletin.pk}/" in sheet and "扫码查看公示、提出异议" in sheet
    draft = BulletinFactory(status=BulletinStatus.DRAFT)
    assert client.get(f"/notices/{draft.pk}/").status_code == 404
    assert client.get(f"/notices/{draft.pk}/print/").status_code == 404


@pytest.mark.django_db
def test_a_notice_whose_end_is_before_its_start_is_refused_and_nothing_typed_is_lost(client, programme):
    sign_in(client, make_staff("office", Role.REVIEWER))
    today = timezone.localdate()
    response = client.post("/staff/bulletins/new/", _form(ends_on=(today - dt.timedelta(days=1)).isoformat()))
    page = response.content.decode()
    assert response.status_code == 200 and "公示结束日期不能早于开始日期。" in page
    assert "现将《加装电梯施工管理承诺书》公示如下。" in page  # still in the box
    assert not Bulletin.objects.exists()
    with pytest.raises(ValidationFailed):
        services.bulletin_save(
            actor=None, fields={**_form(), "starts_on": today, "ends_on": today - dt.timedelta(days=1)}
        )


@pytest.mark.django_db
def test_staff_write_attach_and_publish_a_notice(client, programme):
    reviewer = make_staff("office", Role.REVIEWER)
    sign_in(client, reviewer)
    url = next_url(client.post("/staff/bulletins/new/", _form()))
    bulletin = Bulletin.objects.get()
    assert url == f"/staff/bulletins/{bulletin.pk}/" and bulletin.status == BulletinStatus.DRAFT
    assert client.get(f"/notices/{bulletin.pk}/").status_code == 404  # not public yet

    client.post(f"{url}attach/", {"file": SimpleUploadedFile("承诺书.pdf", PDF, "application/pdf")})
    client.post(f"{url}attach/", {"file": SimpleUploadedFile("公示栏.jpg", jpeg(), "image/jpeg")})
    refused = client.post(f"{url}attach/", {"file": SimpleUploadedFile("a.exe", b"MZ\x90\x00 not a pdf", "application/pdf")}, follow=True)
    assert "不是PDF文件，也不是能打开的照片" in refused.content.decode()
    assert [a.content_type for a in bulletin.attachments.all()] == ["application/pdf", "image/jpeg"]

    client.post(f"{url}publish/")
    bulletin.refresh_from_db()
    assert bulletin.status == BulletinStatus.PUBLISHED and bulletin.published_by == reviewer
    assert AuditEntry.objects.filter(action=services.AUDIT_PUBLISH).exists()
    page = client.get(f"/notices/{bulletin.pk}/").content.decode()
    pdf, photo = bulletin.attachments.all()
    assert f"/notices/{bulletin.pk}/files/{pdf.pk}/" in page and f"/notices/{bulletin.pk}/files/{photo.pk}/" in page
    download = client.get(f"/notices/{bulletin.pk}/files/{pdf.pk}/")
    assert b"".join(download.streaming_content) == PDF and download["X-Content-Type-Options"] == "nosniff"
    # Published: no more changes.
    assert "已发布的公示不能再添加附件" in client.post(
        f"{url}attach/", {"file": SimpleUploadedFile("b.pdf", PDF)}, follow=True
    ).content.decode()


@pytest.mark.django_db
def test_attachments_too_big_are_refused_with_their_size(settings):
    settings.JIEDAO_BULLETIN_ATTACHMENT_MB = 1
    bulletin = BulletinFactory(status=BulletinStatus.DRAFT)
    big = SimpleUploadedFile("大文件.pdf", PDF + b"0" * (1024 * 1024 + 1), "application/pdf")
    with pytest.raises(UploadRefused, match="大文件.pdf.*太大了.*不超过 1 MB"):
        services.attachment_add(bulletin=bulletin, upload=big)
    assert not bulletin.attachments.exists()


@pytest.mark.django_db
def test_a_photo_attachment_loses_its_metadata(tmp_path):
    bulletin = BulletinFactory(status=BulletinStatus.DRAFT)
    image = Image.new("RGB", (3000, 1000), (10, 20, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    attachment = services.attachment_add(bulletin=bulletin, upload=SimpleUploadedFile("p.jpg", out.getvalue()))
    with attachment.file.open("rb") as stored, Image.open(stored) as kept:
        assert max(kept.size) == 2000 and not kept.getexif()


@pytest.mark.django_db
def test_a_worker_sees_and_writes_only_for_her_neighbourhoods(client, programme):
    yongtai, other = Neighbourhood.objects.get(code="yongtai"), Neighbourhood.objects.get(code="zhijiangxincun")
    mine = BulletinFactory(title="永太的公示", neighbourhoods=[yongtai])
    theirs = BulletinFactory(title="芷江新村的公示", neighbourhoods=[other])
    sign_in(client, make_staff("worker_yt", Role.WORKER, ["yongtai"]))
    listing = client.get("/staff/bulletins/").content.decode()
    assert "永太的公示" in listing and "芷江新村的公示" not in listing
    assert client.get(f"/staff/bulletins/{theirs.pk}/").status_code == 404
    assert client.get(f"/staff/bulletins/{mine.pk}/").status_code == 200
    form = client.get("/staff/bulletins/new/").content.decode()
    assert "<span>永太</span>" in form and "<span>芷江新村</span>" not in form
    refused = client.post("/staff/bulletins/new/", _form(neighbourhoods=[str(other.pk)]))
    assert refused.status_code == 200 and Bulletin.objects.count() == 2
    assert "公示" in client.get("/staff/").content.decode()  # in the frame's menu


@pytest.mark.django_db
def test_an_sms_push_reaches_the_residents_concerned_once_each(client, programme):
    yongtai = Neighbourhood.objects.get(code="yongtai")
    ApplicationFactory(programme=programme, neighbourhood=yongtai, phone="13900000001", proxy_phone="13900000011")
    ApplicationFactory(programme=programme, neighbourhood=yongtai, phone="13900000001")
    ApplicationFactory(programme=programme, neighbourhood=Neighbourhood.objects.get(code="zhijiangxincun"), phone="13900000002")
    bulletin = BulletinFactory(status=BulletinStatus.DRAFT, sms_push=True, neighbourhoods=[yongtai])
    services.bulletin_publish(bulletin=bulletin, actor=make_staff("office", Role.REVIEWER))
    pushed = Notice.objects.filter(event="bulletin_posted")
    assert sorted(pushed.values_list("phone", flat=True)) == ["13900000001", "13900000011"]
    assert "公示期至" in pushed.first().text and f"notices/{bulletin.pk}/" in pushed.first().text
    bulletin.refresh_from_db()
    assert bulletin.pushed_count == 2


@pytest.mark.django_db(transaction=True)
def test_the_current_page_comes_from_the_cache_and_a_publication_shows_at_once(client, programme):
    from django.core.cache import cache

    cache.clear()
    BulletinFactory(title="第一份公示")
    assert "第一份公示" in client.get("/notices/").content.decode()
    Bulletin.objects.update(title="改过的标题（缓存里还是旧的）")  # not through a service: the cache keeps the page
    assert "第一份公示" in client.get("/notices/").content.decode()
    draft = BulletinFactory(title="刚发布的公示", status=BulletinStatus.DRAFT)
    services.bulletin_publish(bulletin=draft, actor=make_staff("office", Role.REVIEWER))
    page = client.get("/notices/").content.decode()
    assert "刚发布的公示" in page and "改过的标题" in page
    cache.clear()
