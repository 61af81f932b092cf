"""Backup while residents keep submitting, restore into a fresh instance, and find everything again.

The restore runs as a real ``jiedao restore`` in a child process with its own DATA_DIR (and, on
PostgreSQL, a database this test creates and drops): a fresh instance, not this test's settings.
"""

import io
import os
import sqlite3
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.core.files.storage import FileSystemStorage
from django.db import connection

from jiedao.ops.backup import BackupError, backup_create, backup_verify
from jiedao.intake import services
from jiedao.intake.models import Application, Document
from tests.conftest import stored_photos_for, valid_answers
from tests.factories import hardship_programme, valid_id_number


def _submit(programme, serial):
    return services.application_submit(
        programme=programme,
        answers=valid_answers(id_number=valid_id_number("19500101", serial), phone=f"139{serial:08d}"),
        photos=stored_photos_for(programme, ["disabled"]),
    )


class WaitsOnFirstRead(FileSystemStorage):
    """The documents storage, where the backup's first read waits for ``before_first_read``: so a
    submission is certain to commit between the database snapshot and the copying of the photos."""

    before_first_read = None

    def _open(self, name, mode="rb"):
        hook, type(self).before_first_read = type(self).before_first_read, None
        if hook:
            hook()
        return super()._open(name, mode)


class Submitter(threading.Thread):
    """A resident after another pressing submit, until told to stop."""

    def __init__(self, programme):
        super().__init__()
        self.programme = programme
        self.stop = threading.Event()
        self.started_submitting = threading.Event()
        self.references: list[str] = []
        self.errors: list[Exception] = []

    def run(self):
        serial = 700
        try:
            while not self.stop.is_set():
                self.references.append(_submit(self.programme, serial).reference)
                serial += 1
                self.started_submitting.set()
        except Exception as error:  # asserted on by the test
            self.errors.append(error)
            self.started_submitting.set()
        finally:
            connection.close()


@pytest.fixture
def fresh_instance(tmp_path, settings):
    """Environment of a brand-new Jiedao: its own DATA_DIR, and on PostgreSQL its own database."""
    data_dir = tmp_path / "restored"
    data_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "JIEDAO_DATA_DIR")}
    env["JIEDAO_DATA_DIR"] = str(data_dir)
    # The ID keys are never in a backup: the operator brings them from where they are kept.
    env["JIEDAO_ID_KEYS"] = ",".join(settings.JIEDAO_ID_KEYS)
    env["JIEDAO_ID_HASH_KEY"] = settings.JIEDAO_ID_HASH_KEY
    database = None
    if connection.vendor == "postgresql":
        import psycopg

        database = f"{connection.settings_dict['NAME']}_restore_{os.getpid()}"
        params = connection.settings_dict
        url = f"postgres://{params['USER']}@{params['HOST']}:{params['PORT'] or 5432}"
        with psycopg.connect(f"{url}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}"')
            admin.execute(f'CREATE DATABASE "{database}"')
        env["DATABASE_URL"] = f"{url}/{database}"
    yield data_dir, env, database
    if database:
        with psycopg.connect(f"{url}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def jiedao(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "jiedao.cli", *map(str, args)], env=env, capture_output=True, text=True, timeout=300
    )


def restored_rows(data_dir: Path, database: str | None, env: dict, sql: str) -> list[tuple]:
    if database is None:
        with sqlite3.connect(data_dir / "jiedao.sqlite3") as db:
            return db.execute(sql).fetchall()
    import psycopg

    with psycopg.connect(env["DATABASE_URL"]) as db:
        return db.execute(sql).fetchall()


@pytest.mark.django_db(transaction=True)
def test_a_backup_taken_while_residents_submit_restores_every_case_and_photo_byte_for_byte(
    tmp_path, private_storage, fresh_instance, settings
):
    programme = hardship_programme()
    before = [_submit(programme, serial).reference for serial in range(1, 6)]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "BACKEND": f"{__name__}.WaitsOnFirstRead"},
    }
    submitter = Submitter(programme)
    during = []

    def let_two_more_submissions_commit():
        seen = len(submitter.references)
        while len(submitter.references) < seen + 2 and not submitter.errors:
            threading.Event().wait(0.01)
        during.extend(submitter.references[seen:])

    WaitsOnFirstRead.before_first_read = let_two_more_submissions_commit
    submitter.start()
    try:
        submitter.started_submitting.wait(timeout=60)
        result = backup_create(destination=tmp_path / "backups")
    finally:
        WaitsOnFirstRead.before_first_read = None
        submitter.stop.set()
        submitter.join(timeout=120)
    assert submitter.errors == []
    assert len(during) == 2  # committed while the backup ran, after its database snapshot
    assert result.path.name.endswith(".tar") and result.path.parent == tmp_path / "backups"
    assert oct(result.path.stat().st_mode & 0o777) == "0o600"
    manifest = result.manifest
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["missing_files"] == []
    assert manifest["counts"]["applications"] >= len(before) + 1

    data_dir, env, database = fresh_instance
    done = jiedao(env, "restore", result.path)
    assert done.returncode == 0, done.stderr
    assert "JIEDAO_ID_KEYS" in done.stdout  # the operator is reminded that the keys come from elsewhere

    table = Application._meta.db_table
    references = {row[0] for row in restored_rows(data_dir, database, env, f"SELECT reference FROM {table}")}
    assert set(before) <= references
    assert references <= set(Application.objects.values_list("reference", flat=True))
    assert len(references) == manifest["counts"]["applications"]
    restored_files = [
        row[0] for row in restored_rows(data_dir, database, env, f"SELECT file FROM {Document._meta.db_table}")
    ]
    assert len(restored_files) == manifest["counts"]["documents"] >= 4 * len(references)
    for name in restored_files:
        assert (data_dir / "documents" / name).read_bytes() == (private_storage / name).read_bytes()

    # A second restore over the now filled instance is refused; nothing is overwritten.
    again = jiedao(env, "restore", result.path)
    assert again.returncode != 0 and "--force" in again.stderr


@pytest.mark.django_db(transaction=True)
def test_a_restore_without_the_original_id_keys_says_so(tmp_path, private_storage, fresh_instance):
    programme = hardship_programme()
    _submit(programme, 1)
    result = backup_create(destination=tmp_path / "backup.tar")
    data_dir, env, _database = fresh_instance
    del env["JIEDAO_ID_KEYS"], env["JIEDAO_ID_HASH_KEY"]  # a new machine makes keys of its own
    done = jiedao(env, "restore", result.path)
    assert done.returncode != 0
    assert "JIEDAO_ID_KEYS" in done.stderr


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_that_already_holds_cases(tmp_path, private_storage):
    programme = hardship_programme()
    _submit(programme, 1)
    result = backup_create(destination=tmp_path / "backup.tar")
    with pytest.raises(CommandError, match="--force"):
        call_command("restore", str(result.path), stdout=io.StringIO())
    assert Application.objects.count() == 1


@pytest.mark.django_db(transaction=True)  # the backup reads committed data through its own connection
def test_a_tampered_backup_is_refused_before_anything_is_written(programme, tmp_path, private_storage):
    _submit(programme, 1)
    good = backup_create(destination=tmp_path / "backup.tar").path
    assert backup_verify(good)["counts"]["applications"] == 1
    bad = tmp_path / "tampered.tar"
    with tarfile.open(good) as source, tarfile.open(bad, "w") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name.startswith("documents/") and member.name.endswith(".jpg"):
                data = data[:-1] + bytes([data[-1] ^ 1])  # one bit flipped in one photo
            target.addfile(member, io.BytesIO(data))
    with pytest.raises(BackupError, match="checksum"):
        backup_verify(bad)


@pytest.mark.django_db(transaction=True)  # the backup reads committed data through its own connection
def test_a_backup_holds_no_plain_id_number_and_no_key(programme, tmp_path, private_storage, settings):
    id_number = valid_id_number("19500101", 1)
    _submit(programme, 1)
    path = backup_create(destination=tmp_path / "backup.tar").path
    raw = path.read_bytes()
    assert id_number.encode() not in raw
    with tarfile.open(path) as tar:
        names = tar.getnames()
    assert all(name == "manifest.json" or name.startswith(("database/", "documents/")) for name in names)
    assert not any("id_keys" in name for name in names)
