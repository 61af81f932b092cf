"""Online backup and restore: the database and every stored document, in one ``.tar``.

A backup is taken while the service runs and residents keep submitting:

- SQLite is copied with sqlite3's ``Connection.backup`` (a consistent snapshot; in WAL mode writers
  carry on meanwhile);
- PostgreSQL with ``pg_dump --format=custom`` running on a snapshot exported from a REPEATABLE READ
  transaction, in which the counts and the list of referenced photos are read too, so that the
  manifest describes exactly what the dump holds. The password goes through ``PGPASSWORD`` in the
  child's environment, never on its command line (``ps`` shows command lines to every user).

Documents are read through Django's default storage (a local folder or an S3 bucket alike) *after*
the database snapshot: a photo is always stored before the row that names it is committed, so
every photo the snapshot references is already there. ``manifest.json`` lists each file with its
size and SHA-256; ``backup_restore`` checks every hash before and after writing anything.

The database is copied as it is: ID numbers stay encrypted in it. The keys (``JIEDAO_ID_KEYS`` /
``DATA_DIR/id_keys``) are deliberately *not* part of a backup and must be kept apart from it:
a lost backup medium then discloses no ID number, and a restore needs the keys as well.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, connections
from django.utils import timezone

FORMAT = "jiedao-backup"
VERSION = 1
MANIFEST = "manifest.json"
DOCUMENTS = "documents/"
SQLITE_MEMBER = "database/jiedao.sqlite3"
PG_MEMBER = "database/jiedao.pgdump"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, for the operator."""


class DatabaseNotEmpty(BackupError):
    """Restoring would replace the cases already in this database."""


@dataclass
class BackupResult:
    path: Path
    manifest: dict


@dataclass
class RestoreResult:
    manifest: dict
    files: int
    counts: dict
    problems: list[str] = field(default_factory=list)


def _tables() -> dict[str, str]:
    from django.contrib.auth import get_user_model

    from jiedao.core.models import AuditEntry
    from jiedao.intake.models import Application, Document, DraftPhoto

    return {
        "applications": Application._meta.db_table,
        "documents": Document._meta.db_table,
        "draft_photos": DraftPhoto._meta.db_table,
        "audit_entries": AuditEntry._meta.db_table,
        "users": get_user_model()._meta.db_table,
    }


def _referenced_sql() -> str:
    from jiedao.intake.models import Document, DraftPhoto

    return f"SELECT file FROM {Document._meta.db_table} UNION SELECT file FROM {DraftPhoto._meta.db_table}"


def _read_snapshot(cursor) -> tuple[dict, set[str]]:
    """Counts and referenced photo names, read with a DB-API cursor on the snapshot."""
    counts = {}
    for key, table in _tables().items():
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 (table names from the models)
        counts[key] = cursor.fetchone()[0]
    cursor.execute(_referenced_sql())
    return counts, {row[0] for row in cursor.fetchall() if row[0]}


# The database.


def _pg_env(settings_dict: dict) -> dict:
    """libpq's environment for the child: the password never appears on a command line."""
    env = {**os.environ}
    for key, name in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if settings_dict.get(key):
            env[name] = str(settings_dict[key])
    options = settings_dict.get("OPTIONS") or {}
    if options.get("sslmode"):
        env["PGSSLMODE"] = options["sslmode"]
    return env


def _run(command: list[str], env: dict) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed ({done.returncode}): {done.stderr.strip()}")


def _dump_sqlite(settings_dict: dict, target: Path) -> tuple[dict, set[str]]:
    source = sqlite3.connect(str(settings_dict["NAME"]), timeout=30)
    copy = sqlite3.connect(str(target))
    with contextlib.closing(source), contextlib.closing(copy):
        source.backup(copy)  # all pages in one step, under one read transaction: a snapshot
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        return _read_snapshot(copy.cursor())


def _dump_postgresql(settings_dict: dict, target: Path) -> tuple[dict, set[str]]:
    import psycopg

    env = _pg_env(settings_dict)
    name = settings_dict["NAME"]
    # A REPEATABLE READ transaction exports its snapshot; pg_dump is made to use the same one, so
    # the counts and photo names below describe exactly the rows in the dump.
    with psycopg.connect(dbname=name, **_pg_kwargs(settings_dict)) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        counts, referenced = _read_snapshot(conn.cursor())
        _run(
            ["pg_dump", "--format=custom", "--no-owner", f"--snapshot={snapshot}", f"--file={target}", f"--dbname={name}"],
            env,
        )
        conn.rollback()
    return counts, referenced


def _pg_kwargs(settings_dict: dict) -> dict:
    kwargs = {}
    for key, name in (("HOST", "host"), ("PORT", "port"), ("USER", "user"), ("PASSWORD", "password")):
        if settings_dict.get(key):
            kwargs[name] = settings_dict[key]
    if (settings_dict.get("OPTIONS") or {}).get("sslmode"):
        kwargs["sslmode"] = settings_dict["OPTIONS"]["sslmode"]
    return kwargs


# Documents.


def storage_files(storage=None, folder: str = "") -> Iterator[str]:
    """Every file in the storage, folder by folder (S3 "folders" are key prefixes)."""
    storage = storage or default_storage
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # nothing stored yet
        return
    prefix = f"{folder}/" if folder else ""
    for name in sorted(files):
        yield prefix + name
    for sub in sorted(folders):
        yield from storage_files(storage, prefix + sub)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = mtime
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def backup_create(*, destination: Path, now: dt.datetime | None = None) -> BackupResult:
    """Write a consistent backup to ``destination``: a ``.tar`` path, or a folder to put one in."""
    now = now or timezone.now()
    destination = Path(destination)
    if destination.is_dir() or not destination.suffix:
        destination.mkdir(parents=True, exist_ok=True, mode=0o700)
        destination = destination / f"jiedao-backup-{timezone.localtime(now):%Y%m%d-%H%M%S}.tar"
    if destination.exists():
        raise BackupError(f"{destination} already exists")
    settings_dict = connection.settings_dict
    vendor = connection.vendor
    with tempfile.TemporaryDirectory(prefix="jiedao-backup-") as scratch:
        if vendor == "sqlite":
            member, dump = SQLITE_MEMBER, Path(scratch) / "db.sqlite3"
            counts, referenced = _dump_sqlite(settings_dict, dump)
        elif vendor == "postgresql":
            member, dump = PG_MEMBER, Path(scratch) / "db.pgdump"
            counts, referenced = _dump_postgresql(settings_dict, dump)
        else:
            raise BackupError(f"no backup for the {vendor} database")

        partial = destination.with_name(destination.name + ".partial")
        # Personal data: readable by the owner only, and only renamed into place when complete.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        files: dict[str, dict] = {}
        try:
            with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w") as tar:
                data = dump.read_bytes()
                database = {"vendor": vendor, "member": member, "sha256": _sha256(data), "size": len(data)}
                _add_bytes(tar, member, data, now.timestamp())
                for name in storage_files():
                    try:
                        with default_storage.open(name, "rb") as handle:
                            content = handle.read()
                    except FileNotFoundError:  # deleted after it was listed (a purge, a sweep)
                        continue
                    files[name] = {"sha256": _sha256(content), "size": len(content)}
                    _add_bytes(tar, DOCUMENTS + name, content, now.timestamp())
                missing = sorted(referenced - set(files))
                manifest = {
                    "format": FORMAT,
                    "version": VERSION,
                    "created_at": now.isoformat(),
                    "database": database,
                    "counts": {**counts, "files": len(files)},
                    # Referenced by the snapshot but deleted before they could be copied: only a
                    # retention run or purge between the two steps can cause this.
                    "missing_files": missing,
                    "files": files,
                }
                _add_bytes(tar, MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode(), now.timestamp())
            os.replace(partial, destination)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(partial)
            raise
    return BackupResult(destination, manifest)


# Restore.


def _read_manifest(tar: tarfile.TarFile) -> dict:
    try:
        manifest = json.load(tar.extractfile(MANIFEST))
    except (KeyError, ValueError) as error:
        raise BackupError(f"not a Jiedao backup: {error}") from None
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BackupError("not a Jiedao backup of a version this program can restore")
    return manifest


def backup_verify(path: Path) -> dict:
    """Check every member of a backup against its manifest; returns the manifest."""
    with tarfile.open(path, mode="r") as tar:
        manifest = _read_manifest(tar)
        database = manifest["database"]
        if _sha256(tar.extractfile(database["member"]).read()) != database["sha256"]:
            raise BackupError("the database copy does not match its checksum")
        for name, expected in manifest["files"].items():
            try:
                content = tar.extractfile(DOCUMENTS + name).read()
            except KeyError:
                raise BackupError(f"{name} is listed in the manifest but not in the backup") from None
            if _sha256(content) != expected["sha256"]:
                raise BackupError(f"{name} does not match its checksum")
    return manifest


def database_is_empty() -> bool:
    """A fresh instance: none of our tables, or no application, user or audit entry in them."""
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for table in _tables().values():
            if table in existing:
                cursor.execute(f"SELECT 1 FROM {table} LIMIT 1")  # noqa: S608
                if cursor.fetchone():
                    return False
    return True


def _restore_sqlite(settings_dict: dict, dump: Path) -> None:
    connections.close_all()
    target = sqlite3.connect(str(settings_dict["NAME"]), timeout=30)
    source = sqlite3.connect(str(dump))
    with contextlib.closing(source), contextlib.closing(target):
        source.backup(target)  # page by page into the live file, WAL or not
        target.execute("PRAGMA journal_mode=WAL")


def _restore_postgresql(settings_dict: dict, dump: Path) -> None:
    connections.close_all()
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={settings_dict['NAME']}",
            str(dump),
        ],
        _pg_env(settings_dict),
    )


def backup_restore(*, source: Path, force: bool = False) -> RestoreResult:
    """Restore a backup into this instance's database and storage, then check it against the manifest.

    Refuses a database that already holds applications, users or audit entries unless ``force``:
    restoring over a live instance replaces everything in it.
    """
    manifest = backup_verify(source)  # before anything is written
    vendor = connection.vendor
    if manifest["database"]["vendor"] != vendor:
        raise BackupError(f"a {manifest['database']['vendor']} backup cannot be restored into {vendor}")
    if not force and not database_is_empty():
        raise DatabaseNotEmpty("the database is not empty")
    settings_dict = connection.settings_dict
    with tarfile.open(source, mode="r") as tar, tempfile.TemporaryDirectory(prefix="jiedao-restore-") as scratch:
        dump = Path(scratch) / "database"
        with tar.extractfile(manifest["database"]["member"]) as member, open(dump, "wb") as out:
            shutil.copyfileobj(member, out)
        if vendor == "sqlite":
            _restore_sqlite(settings_dict, dump)
        else:
            _restore_postgresql(settings_dict, dump)
        for name in manifest["files"]:
            content = tar.extractfile(DOCUMENTS + name).read()
            if default_storage.exists(name):
                default_storage.delete(name)
            saved = default_storage.save(name, ContentFile(content))
            if saved != name:
                raise BackupError(f"{name} was stored as {saved}")
    return RestoreResult(manifest=manifest, **_check_restored(manifest))


def _check_keys(sample: int = 20) -> list[str]:
    """The ID keys of this instance must be those the backup's rows were sealed with: they are
    never in a backup, so a restore onto a new machine without them leaves unreadable ID numbers
    (and a duplicate check that no longer recognises anyone)."""
    from jiedao.intake.models import Application
    from jiedao.lib.crypto import InvalidToken, decrypt, id_hash

    rows = Application.objects.exclude(id_number_encrypted="").values_list("id_number_encrypted", "id_number_hash")
    for token, stored_hash in rows[:sample]:
        try:
            number = decrypt(token)
        except InvalidToken:
            return ["ID numbers cannot be decrypted: install the original JIEDAO_ID_KEYS (or DATA_DIR/id_keys)"]
        if id_hash(number) != stored_hash:
            return ["ID number hashes differ: install the original JIEDAO_ID_HASH_KEY (or DATA_DIR/id_hash_key)"]
    return []


def _check_restored(manifest: dict) -> dict:
    """Read everything back: each file's hash, and the counts of the restored database."""
    problems = []
    for name, expected in manifest["files"].items():
        try:
            with default_storage.open(name, "rb") as handle:
                if _sha256(handle.read()) != expected["sha256"]:
                    problems.append(f"{name}: checksum differs after restore")
        except FileNotFoundError:
            problems.append(f"{name}: missing after restore")
    with connection.cursor() as cursor:
        counts, referenced = _read_snapshot(cursor)
    for key, value in counts.items():
        if manifest["counts"].get(key) != value:
            problems.append(f"{key}: {value} restored, {manifest['counts'].get(key)} in the backup")
    for name in sorted(referenced - set(manifest["files"])):
        problems.append(f"{name}: referenced by the database but not in the backup")
    problems += _check_keys()
    return {"files": len(manifest["files"]), "counts": counts, "problems": problems}
