"""Files the public will see (a notice's attachments, a news photo, an objection's photo): checked
for type and size, photos re-encoded.

Only PDFs (by their first bytes, not their name) and photos Pillow can decode are taken. A photo
is turned upright by its EXIF orientation, bounded to 2000 px on its long edge and re-encoded as
JPEG, which drops every piece of metadata (GPS position included) before anyone downloads it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from .errors import DomainError

LONG_EDGE = 2000


class UploadRefused(DomainError):
    code = "upload_refused"


@dataclass(frozen=True)
class CheckedFile:
    content: bytes
    content_type: str
    extension: str
    name: str


def _limit() -> int:
    return settings.JIEDAO_BULLETIN_ATTACHMENT_MB * 1024 * 1024


def check_public_file(upload, *, allow_pdf: bool = True) -> CheckedFile:
    """The upload as it may be stored, or ``UploadRefused`` saying why in words."""
    name = (getattr(upload, "name", "") or "file").rsplit("/", 1)[-1][:120]
    if upload.size > _limit():
        raise UploadRefused(
            _("“%(name)s”太大了（%(size).1f MB），请不超过 %(limit)d MB。")
            % {"name": name, "size": upload.size / 1024 / 1024, "limit": settings.JIEDAO_BULLETIN_ATTACHMENT_MB}
        )
    upload.seek(0)
    head = upload.read(5)
    upload.seek(0)
    if head == b"%PDF-":
        if not allow_pdf:
            raise UploadRefused(_("“%(name)s”不是照片，这里只能上传照片。") % {"name": name})
        return CheckedFile(upload.read(), "application/pdf", "pdf", name)
    return CheckedFile(_reencoded_photo(upload, name), "image/jpeg", "jpg", name)


def _reencoded_photo(upload, name: str) -> bytes:
    from PIL import Image, ImageOps, UnidentifiedImageError

    refused = _("“%(name)s”不是PDF文件，也不是能打开的照片。请上传PDF或JPG、PNG照片。") % {"name": name}
    try:
        with Image.open(upload) as image:
            image.draft("RGB", (LONG_EDGE, LONG_EDGE))
            image = ImageOps.exif_transpose(image).convert("RGB")
            image.thumbnail((LONG_EDGE, LONG_EDGE))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=85, optimize=True)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise UploadRefused(refused) from None
    return out.getvalue()
