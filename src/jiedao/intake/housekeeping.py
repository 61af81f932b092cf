"""Housekeeping of the document storage: removing photos that no record points to.

Every write path deletes what it stored when it fails (``application_submit_uploads``,
``draft_put_photo``, ``application_add_documents``), but a process killed between storing a photo
and committing its row (an OOM kill, a deploy, a power cut) cannot clean up after itself. Such a
file is referenced by no ``Document`` and no ``DraftPhoto``; ``orphans_sweep`` removes it once it
is older than any request could take, so a submission still in flight never loses its photos.

Only Django's storage API is used (``listdir``, ``get_modified_time``, ``delete``), so the same
code sweeps a local folder and an S3 bucket.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from .models import Document, DraftPhoto

logger = logging.getLogger(__name__)

# Only the folder ``photo_store`` writes into is swept: a bucket shared with something else
# never loses that something else's files.
PHOTO_ROOT = "photos"


@dataclass
class SweepResult:
    deleted: list[str] = field(default_factory=list)
    kept_recent: int = 0
    kept_referenced: int = 0


def stored_files(storage=None, root: str = PHOTO_ROOT) -> Iterator[str]:
    """Every file name under ``root``, walking the storage's folders (S3 "folders" are prefixes)."""
    storage = storage or default_storage
    try:
        folders, files = storage.listdir(root)
    except FileNotFoundError:  # nothing stored yet
        return
    for name in sorted(files):
        yield f"{root}/{name}"
    for folder in sorted(folders):
        yield from stored_files(storage, f"{root}/{folder}")


def spool_sweep(*, older_than: dt.timedelta = dt.timedelta(hours=1), now: float | None = None, dry_run: bool = False) -> list[Path]:
    """Delete what uploads left in the spool folder (settings.UPLOAD_SPOOL_DIR) when their worker
    was killed mid-request. A live upload touches its file as it writes, and no request lasts an
    hour, so anything older is an orphan: a raw photo with its EXIF and GPS, to be removed."""
    if older_than < dt.timedelta(hours=1):
        raise ValueError("older_than must be at least one hour")
    cutoff = (now if now is not None else time.time()) - older_than.total_seconds()
    spool = Path(settings.UPLOAD_SPOOL_DIR)
    deleted = []
    for path in sorted(spool.rglob("*")) if spool.exists() else []:
        try:
            if not path.is_file() or path.stat().st_mtime >= cutoff:
                continue
            if not dry_run:
                path.unlink()
                logger.info("deleted spooled upload left behind %s", path.name)
        except FileNotFoundError:  # its request finished and removed it meanwhile
            continue
        deleted.append(path)
    return deleted


def _referenced(name: str) -> bool:
    return Document.objects.filter(file=name).exists() or DraftPhoto.objects.filter(file=name).exists()


def orphans_sweep(*, older_than: dt.timedelta, now: dt.datetime | None = None, dry_run: bool = False) -> SweepResult:
    """Delete stored photos that no document or draft photo uses and that are older than ``older_than``."""
    if older_than < dt.timedelta(hours=1):
        # A photo is stored before its row is committed; a tiny age would race live submissions.
        raise ValueError("older_than must be at least one hour")
    cutoff = (now or timezone.now()) - older_than
    referenced = set(Document.objects.values_list("file", flat=True))
    referenced.update(DraftPhoto.objects.values_list("file", flat=True))
    result = SweepResult()
    for name in stored_files():
        if name in referenced:
            result.kept_referenced += 1
            continue
        if default_storage.get_modified_time(name) >= cutoff:
            result.kept_recent += 1
            continue
        # Checked again just before deleting: the set above was read before this file was reached.
        if _referenced(name):
            result.kept_referenced += 1
            continue
        if not dry_run:
            default_storage.delete(name)
            logger.info("deleted orphan photo %s", name)
        result.deleted.append(name)
    return result
