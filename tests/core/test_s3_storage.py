"""Documents in an S3-compatible object store, against a real local S3 server.

A moto server (``python -m moto.server``) runs in a subprocess on a free loopback port for the
session, as MinIO would beside the app: every request below crosses HTTP with boto3's signing.
The storage is configured by running the real settings module with the ``JIEDAO_S3_*`` variables
(so these tests also check the settings' reading of them), each test in a fresh bucket; then
the resident's wizard, the staff photo view, the partner API and the draft purge are driven
through Django's test client exactly as on the file system.
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from jiedao.core.models import Role
from jiedao.intake.housekeeping import orphans_sweep
from jiedao.intake.models import Application, Document, DraftPhoto
from jiedao.intake.photos import process_photo
from jiedao.intake.services import drafts_purge, photo_store
from tests.api.conftest import form, issue
from tests.conftest import photo_bytes, sign_in
from tests.factories import make_staff, valid_id_number
from tests.intake.test_public_form import apply, follow_to, upload

pytestmark = [pytest.mark.s3, pytest.mark.django_db]

ROOT = Path(__file__).resolve().parents[2]
ACCESS_KEY, SECRET_KEY, REGION = "jiedao-test", "jiedao-test-secret", "us-east-1"
ALL_USERS = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(port: int, process: subprocess.Popen, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """A local S3 server for the whole session; its endpoint URL."""
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    for _attempt in range(3):  # a free port can be taken between asking and binding
        port = _free_port()
        with log.open("w") as out:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "moto.server",
                    "-H",
                    "127.0.0.1",
                    "-p",
                    str(port),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        if _wait_for(port, process):
            break
        process.kill()
        process.wait()
    else:
        pytest.skip(f"moto's S3 server could not start: {log.read_text()[-2000:]}")
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def storage_from_settings(env: dict, tmp_path) -> dict:
    """STORAGES["default"] as jiedao.settings builds it from these environment variables."""
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("JIEDAO_", "AWS_", "DATABASE_URL"))
    }
    clean.update(env, JIEDAO_DATA_DIR=str(tmp_path / "data"))
    script = (
        "import json, jiedao.settings as s; print(json.dumps(s.STORAGES['default']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=clean,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(result.stdout)


class Bucket:
    """One bucket of the local server, seen directly through boto3 (as an operator would)."""

    def __init__(self, endpoint: str, name: str, prefix: str):
        self.endpoint, self.name, self.prefix = endpoint, name, prefix
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=Config(s3={"addressing_style": "path"}),
        )
        self.client.create_bucket(Bucket=name)

    def objects(self) -> set[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name)
        return {item["Key"] for page in pages for item in page.get("Contents", [])}

    def key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def body(self, name: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=self.key(name))[
            "Body"
        ].read()

    def head(self, name: str) -> dict:
        return self.client.head_object(Bucket=self.name, Key=self.key(name))

    def is_private(self, name: str) -> bool:
        grants = self.client.get_object_acl(Bucket=self.name, Key=self.key(name))[
            "Grants"
        ]
        return bool(grants) and not any(
            g["Grantee"].get("URI") in ALL_USERS for g in grants
        )


def _env(endpoint: str, bucket: str, prefix: str, **extra) -> dict:
    return {
        "JIEDAO_S3_BUCKET": bucket,
        "JIEDAO_S3_ENDPOINT_URL": endpoint,
        "JIEDAO_S3_REGION": REGION,
        "JIEDAO_S3_ACCESS_KEY_ID": ACCESS_KEY,
        "JIEDAO_S3_SECRET_ACCESS_KEY": SECRET_KEY,
        "JIEDAO_S3_PREFIX": prefix,
        **extra,
    }


@pytest.fixture
def s3_env(s3_server):
    """The environment a deployment would set; a fresh bucket per test."""
    return _env(s3_server, f"jiedao-{uuid.uuid4().hex[:12]}", "documents")


@pytest.fixture
def bucket(settings, private_storage, s3_server, s3_env, tmp_path):
    """Documents go to the bucket for this test (overriding the file-system ``private_storage``)."""
    storage = storage_from_settings(s3_env, tmp_path)
    settings.STORAGES = {**settings.STORAGES, "default": storage}
    return Bucket(s3_server, s3_env["JIEDAO_S3_BUCKET"], s3_env["JIEDAO_S3_PREFIX"])


def no_storage_url(text: str, bucket: Bucket) -> bool:
    """Nothing sent to a browser or partner points into the object store, signed or not."""
    return (
        bucket.endpoint not in text
        and bucket.name not in text
        and "X-Amz-" not in text
        and "AWSAccessKeyId" not in text
    )


def photo_bytes_of(response) -> bytes:
    return b"".join(response.streaming_content)


# The settings.


def test_without_a_bucket_documents_stay_on_the_file_system(tmp_path):
    storage = storage_from_settings({}, tmp_path)
    assert storage["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert storage["OPTIONS"]["base_url"] is None


def test_the_settings_read_the_s3_variables(tmp_path):
    storage = storage_from_settings(
        _env(
            "http://minio:9000",
            "jiedao-documents",
            "jd",
            JIEDAO_S3_SSE="aws:kms",
            JIEDAO_S3_SSE_KMS_KEY_ID="k-1",
        ),
        tmp_path,
    )
    options = storage["OPTIONS"]
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert options["bucket_name"] == "jiedao-documents" and options["location"] == "jd"
    assert (
        options["endpoint_url"] == "http://minio:9000"
        and options["addressing_style"] == "path"
    )
    assert options["access_key"] == ACCESS_KEY and options["secret_key"] == SECRET_KEY
    assert options["default_acl"] == "private" and options["file_overwrite"] is False
    assert options["custom_domain"] is None and options["querystring_auth"] is True
    assert options["object_parameters"]["ServerSideEncryption"] == "aws:kms"
    assert options["object_parameters"]["SSEKMSKeyId"] == "k-1"
    # Without explicit keys, boto3's own chain (AWS_* variables, an instance role) is left to work.
    bare = storage_from_settings(
        {"JIEDAO_S3_BUCKET": "b", "JIEDAO_S3_DEFAULT_ACL": ""}, tmp_path
    )["OPTIONS"]
    assert (
        "access_key" not in bare
        and "endpoint_url" not in bare
        and "addressing_style" not in bare
    )
    assert bare["default_acl"] is None


# The whole photo path, through the object store.


def test_a_residents_photos_go_to_the_bucket_and_only_staff_in_scope_see_them(
    client, programme, bucket
):
    check = apply(client)  # the real public wizard, photo steps included
    draft_photos = list(DraftPhoto.objects.all())
    assert len(draft_photos) == 4
    assert bucket.objects() == {bucket.key(p.file.name) for p in draft_photos}
    for photo in draft_photos:
        assert bucket.is_private(photo.file.name)
        head = bucket.head(photo.file.name)
        assert (
            head["ContentType"] == "image/jpeg" and head["ContentLength"] == photo.size
        )
    # The resident's own preview is read back from the bucket by the app.
    preview = client.get(f"/apply/JGBK/photos/{draft_photos[0].pk}/")
    assert (
        preview.status_code == 200 and preview["Cache-Control"] == "no-store, private"
    )
    assert photo_bytes_of(preview) == bucket.body(draft_photos[0].file.name)
    check_page = client.get(check).content.decode()
    assert no_storage_url(check_page, bucket)

    follow_to(client, client.post(check, {"consent": "on", "sensitive_consent": "on"}))
    application = Application.objects.get()
    documents = list(application.documents.all())
    assert len(documents) == 4
    # The documents are the draft's objects, not copies; nothing else is in the bucket.
    assert bucket.objects() == {bucket.key(d.file.name) for d in documents}

    client.logout()
    reviewer = make_staff("reviewer", Role.REVIEWER)
    outsider = make_staff(
        "worker_yt", Role.WORKER, ["yongtai"]
    )  # the case is in 芷江新村
    insider = make_staff("worker_zjxc", Role.WORKER, ["zhijiangxincun"])
    document = documents[0]
    url = f"/staff/documents/{document.pk}/"

    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/staff/login/" in anonymous["Location"]

    sign_in(client, outsider)
    assert client.get(url).status_code == 404
    client.logout()

    for member in (reviewer, insider):
        sign_in(client, member)
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert response["Cache-Control"] == "no-store, private"
        assert response["X-Content-Type-Options"] == "nosniff"
        body = photo_bytes_of(response)
        assert body[:2] == b"\xff\xd8" and body == bucket.body(document.file.name)
        assert int(response["Content-Length"]) == len(body)
        case_page = client.get(f"/staff/cases/{application.reference}/")
        assert case_page.status_code == 200
        assert no_storage_url(case_page.content.decode(), bucket)
        client.logout()


def test_a_partner_submission_stores_into_the_bucket(client, programme, bucket):
    partner = issue("yiwangtongban", "partner")
    response = client.post("/api/v1/applications", form(programme), **partner.headers)
    assert response.status_code == 201, response.content
    assert no_storage_url(response.content.decode(), bucket)
    application = Application.objects.get(
        reference=json.loads(response.content)["reference"]
    )
    names = [d.file.name for d in application.documents.all()]
    assert len(names) == 4 and bucket.objects() == {bucket.key(n) for n in names}
    assert all(bucket.is_private(name) for name in names)

    document = application.documents.first()
    photo = client.get(f"/api/v1/documents/{document.pk}", **partner.headers)
    assert photo.status_code == 200 and photo_bytes_of(photo) == bucket.body(
        document.file.name
    )
    read = client.get(
        f"/api/v1/applications/{application.reference}", **partner.headers
    )
    assert read.status_code == 200 and no_storage_url(read.content.decode(), bucket)
    assert (
        client.get(
            f"/api/v1/documents/{document.pk}",
            **issue("shequ-shouli", "partner").headers,
        ).status_code
        == 404
    )

    # A refused submission (the same person again: 409) leaves none of its photos behind.
    again = client.post("/api/v1/applications", form(programme), **partner.headers)
    assert again.status_code == 409
    assert bucket.objects() == {bucket.key(n) for n in names}


def test_the_draft_purge_deletes_the_objects_of_abandoned_drafts_only(
    client, programme, bucket
):
    import datetime as dt

    from django.test import Client
    from django.utils import timezone

    # One resident submits; another stops at the check page and never comes back.
    check = apply(client)
    follow_to(client, client.post(check, {"consent": "on", "sensitive_consent": "on"}))
    submitted = {
        bucket.key(name) for name in Document.objects.values_list("file", flat=True)
    }
    abandoned = Client()
    apply(abandoned, id_number=valid_id_number("19500101", 124))  # another person
    abandoned_keys = {
        bucket.key(p.file.name)
        for p in DraftPhoto.objects.filter(draft__application=None)
    }
    assert len(abandoned_keys) == 4 and bucket.objects() == submitted | abandoned_keys

    later = timezone.now() + dt.timedelta(hours=73)
    assert drafts_purge(older_than=dt.timedelta(hours=72), now=later) == 2
    assert bucket.objects() == submitted
    assert Document.objects.count() == 4 and not DraftPhoto.objects.exists()

    # `jiedao documents sweep`: an object no record points to (an interrupted submission) goes
    # once it is old enough; the application's documents stay.
    orphan = photo_store(process_photo(io.BytesIO(photo_bytes(size=(320, 200)))))
    assert bucket.key(orphan) in bucket.objects()
    assert orphans_sweep(older_than=dt.timedelta(hours=1)).deleted == []  # too recent
    assert orphans_sweep(older_than=dt.timedelta(hours=1), now=later).deleted == [
        orphan
    ]
    assert bucket.objects() == submitted


def test_a_replaced_draft_photo_is_deleted_from_the_bucket(
    client, programme, bucket, django_capture_on_commit_callbacks
):
    apply(client)
    front = DraftPhoto.objects.get(document_type__code="id_card", page=1)
    old_key = bucket.key(front.file.name)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/apply/JGBK/step/doc-id_card/", {"page_1": upload(seed=9)}
        )
    assert response.status_code == 302
    new_key = bucket.key(
        DraftPhoto.objects.get(document_type__code="id_card", page=1).file.name
    )
    assert new_key != old_key
    assert new_key in bucket.objects() and old_key not in bucket.objects()
    assert len(bucket.objects()) == 4


def test_server_side_encryption_is_asked_for_when_configured(
    client, programme, s3_server, settings, private_storage, tmp_path
):
    env = _env(s3_server, f"jiedao-{uuid.uuid4().hex[:12]}", "", JIEDAO_S3_SSE="AES256")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": storage_from_settings(env, tmp_path),
    }
    bucket = Bucket(s3_server, env["JIEDAO_S3_BUCKET"], "")
    apply(client)
    photo = DraftPhoto.objects.first()
    assert bucket.head(photo.file.name)["ServerSideEncryption"] == "AES256"
    assert bucket.is_private(photo.file.name)
    # The privacy check can fail: an object written public-read is seen as such.
    bucket.client.put_object(
        Bucket=bucket.name, Key="public.jpg", Body=b"x", ACL="public-read"
    )
    assert not bucket.is_private("public.jpg")


def test_no_code_or_template_asks_the_storage_for_a_url():
    """Photos are only ever streamed by the permission-checked views: a storage URL (public or
    presigned) would hand the bucket's object to whoever holds the link."""
    offenders = []
    for path in (ROOT / "src" / "jiedao").rglob("*"):
        if path.suffix not in {".py", ".html", ".txt"} or "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for needle in (
            "file.url",
            "storage.url(",
            ".generate_presigned",
            "photo.url",
            "document.url",
        ):
            if needle in text:
                offenders.append(f"{path.relative_to(ROOT)}: {needle}")
    assert offenders == []


def test_a_delete_the_store_refuses_is_logged_and_the_purge_goes_on(
    client, programme, bucket, settings, s3_env, tmp_path, caplog
):
    """On disk a failed delete is an OSError; an object store answers with botocore's errors
    (AccessDenied, NoSuchBucket, a timeout). Neither may abort the purge half-way or turn a
    resident's replaced photo into an error page: the object is left to `jiedao documents sweep`."""
    import datetime as dt

    from django.utils import timezone

    apply(client)
    left = bucket.objects()
    assert len(left) == 4
    # The store cannot be reached now (a key without delete rights fails the same way, with a
    # ClientError; a missing object is not an error, django-storages ignores 404s).
    unreachable = f"http://127.0.0.1:{_free_port()}"
    refusing = storage_from_settings(
        {**s3_env, "JIEDAO_S3_ENDPOINT_URL": unreachable}, tmp_path
    )
    settings.STORAGES = {**settings.STORAGES, "default": refusing}
    later = timezone.now() + dt.timedelta(hours=73)
    assert drafts_purge(older_than=dt.timedelta(hours=72), now=later) == 1
    assert not DraftPhoto.objects.exists()
    assert bucket.objects() == left
    assert caplog.text.count("could not delete stored photo") == 4
