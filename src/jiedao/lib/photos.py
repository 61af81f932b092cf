"""The document photo pipeline: residents' phone photos in, clean JPEGs out.

Design: nothing uploaded is kept or shown as-is. Each photo is decoded and
re-encoded as a fresh baseline JPEG with no metadata at all (no EXIF, so no GPS
position or phone model; no ICC, XMP or comment) and none of the bytes that
followed the image (appended zips, scripts, second MPO frames). It is turned
upright from its EXIF orientation, put on white where transparent, and shrunk
to a 2000 px long edge, plenty to read an ID number.

Limits come before the work they protect: the byte size by seeking, without
reading; the pixel count from the header, before any pixel is decoded (a 20 MB
PNG can claim 900 megapixels). They differ per format because the cost does:
libjpeg decodes a baseline JPEG at 1/2..1/8 scale (``Image.draft``), so a
200 MP phone photo costs ~3 MP of memory and JPEG is allowed up to 250 MP;
PNG, WebP, HEIF and progressive JPEG are decoded at full size and capped at
64 MP (~256 MB as RGBA; an iPhone's 48 MP HEIC fits).

Pillow's own bomb guard (``Image.MAX_IMAGE_PIXELS``, a process global) is
raised to the JPEG limit only while a header is parsed, under a lock, with its
warning as an error. This module does not import Django.
"""

from __future__ import annotations

import contextlib
import io
import os
import struct
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import pillow_heif
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

pillow_heif.register_heif_opener()

__all__ = [
    "ACCEPTED_FORMATS",
    "LONG_EDGE",
    "MAX_UPLOAD_BYTES",
    "PhotoRejected",
    "ProcessedPhoto",
    "process_photo",
]

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
LONG_EDGE = 2000
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")  # HEIF: .heic/.heif from iPhones

_JPEG_QUALITY = 85

# Pixel limits, checked from the header before decoding (see the module docstring).
_JPEG_MAX_PIXELS = 250_000_000  # baseline JPEG, decoded at 1/2..1/8 scale by draft()
_FULL_DECODE_MAX_PIXELS = 64_000_000  # everything decoded at full size
_MAX_PIXELS = {
    "JPEG": _JPEG_MAX_PIXELS,
    "PNG": _FULL_DECODE_MAX_PIXELS,
    "WEBP": _FULL_DECODE_MAX_PIXELS,
    "HEIF": _FULL_DECODE_MAX_PIXELS,
}

# Errors Pillow and its plugins raise for damaged or truncated data.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, struct.error, EOFError, IndexError)

_ORIENTATION = ExifTags.Base.Orientation
# Same mapping as ImageOps.exif_transpose: how to turn stored pixels upright.
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

# Signatures of formats we recognise but refuse, so the resident can be told
# "that kind of file is not accepted" rather than "that is not a picture".
_OTHER_FORMATS = (
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"8BPS", "PSD"),
    (b"%PDF", "PDF"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG 2000"),
    (b"\xff\x4f\xff\x51", "JPEG 2000"),
    (b"\xff\x0a", "JPEG XL"),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "JPEG XL"),
)
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}

_ACCEPTED_NAMES = "JPEG, PNG, WebP or HEIC"


class PhotoRejected(Exception):
    """The upload cannot be used as a document photo.

    ``code`` is stable and meant for translation and logs: "too_large",
    "empty", "not_an_image", "unsupported_format", "too_many_pixels",
    "corrupt". ``message`` is a plain English sentence.
    """

    def __init__(self, code: str, message: str):
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class ProcessedPhoto:
    content: bytes  # a fresh baseline JPEG without metadata
    width: int
    height: int
    source_format: str  # "JPEG", "PNG", "WEBP" or "HEIF"


def process_photo(
    fileobj: BinaryIO, *, long_edge: int = LONG_EDGE, max_bytes: int = MAX_UPLOAD_BYTES
) -> ProcessedPhoto:
    """Check, decode, turn upright, shrink and re-encode one uploaded photo.

    Raises :class:`PhotoRejected`. The position of ``fileobj`` afterwards is
    unspecified; it is not closed.
    """
    fileobj = _checked_size(fileobj, max_bytes)
    with _open(fileobj) as im:
        source_format = "JPEG" if im.format == "MPO" else str(im.format)
        _check_pixels(im, source_format)

        # Read before draft(): the orientation must survive scaled decoding.
        orientation = _orientation(im)
        if source_format == "JPEG":
            request = _draft_request(im.size, long_edge)
            if request is not None:
                im.draft("RGB", request)
        try:
            im.load()
        except Image.DecompressionBombError as exc:
            raise _too_many_pixels(im.size) from exc
        except _DECODE_ERRORS as exc:
            raise PhotoRejected("corrupt", "The photo is damaged or incomplete.") from exc

        # Copies made here outlive the file; the loaded image itself does not.
        rgb = _to_rgb(_upright(im, orientation))
    rgb.thumbnail((long_edge, long_edge), Image.Resampling.LANCZOS, reducing_gap=3.0)

    rgb.info = {}  # Pillow's JPEG writer picks up info["comment"] by itself
    out = io.BytesIO()
    rgb.save(out, "JPEG", quality=_JPEG_QUALITY, optimize=True, progressive=False)
    return ProcessedPhoto(out.getvalue(), rgb.width, rgb.height, source_format)


def _checked_size(fileobj: BinaryIO, max_bytes: int) -> BinaryIO:
    """Reject by size without reading; returns a seekable file at offset 0."""
    try:
        fileobj.seek(0, os.SEEK_END)
        size = fileobj.tell()
        fileobj.seek(0)
    except (AttributeError, OSError):
        # Not seekable: read at most one byte more than allowed.
        chunks, size = [], 0
        while size <= max_bytes:
            chunk = fileobj.read(min(1 << 20, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        fileobj = io.BytesIO(b"".join(chunks))
    if size > max_bytes:
        limit_mb = max_bytes / (1024 * 1024)
        raise PhotoRejected("too_large", f"The photo is larger than {limit_mb:g} MB.")
    if size == 0:
        raise PhotoRejected("empty", "The file is empty.")
    return fileobj


@contextlib.contextmanager
def _open(fileobj: BinaryIO) -> Iterator[Image.Image]:
    try:
        with _pillow_bomb_guard():
            im = Image.open(fileobj, formats=ACCEPTED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoRejected("too_many_pixels", "The image has too many pixels.") from exc
    except UnidentifiedImageError as exc:
        raise _unidentified(fileobj) from exc
    except _DECODE_ERRORS as exc:
        raise PhotoRejected("corrupt", "The photo is damaged or incomplete.") from exc
    try:
        yield im
    finally:
        im.close()


_guard_lock = threading.Lock()


@contextlib.contextmanager
def _pillow_bomb_guard() -> Iterator[None]:
    """Pillow's bomb check at the JPEG limit, warnings as errors, for one open().

    Image.MAX_IMAGE_PIXELS and the warning filters are process globals, so the
    change is scoped and serialised; Pillow checks the limit only while opening.
    """
    with _guard_lock, warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        saved = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = _JPEG_MAX_PIXELS
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS = saved


def _unidentified(fileobj: BinaryIO) -> PhotoRejected:
    fileobj.seek(0)
    head = fileobj.read(32)
    major_brand = head[8:12] if head[4:8] == b"ftyp" else b""
    if (
        head.startswith(b"\xff\xd8\xff")
        or head.startswith(b"\x89PNG\r\n\x1a\n")
        or (head.startswith(b"RIFF") and head[8:12] == b"WEBP")
        or major_brand in _HEIF_BRANDS
    ):
        # One of ours by its signature, but Pillow could not read the header.
        return PhotoRejected("corrupt", "The photo is damaged or incomplete.")
    if major_brand in _AVIF_BRANDS:
        name = "AVIF"
    else:
        name = next((fmt for magic, fmt in _OTHER_FORMATS if head.startswith(magic)), None)
    if name is not None:
        return PhotoRejected(
            "unsupported_format",
            f"{name} files are not accepted; please send a {_ACCEPTED_NAMES} photo.",
        )
    return PhotoRejected("not_an_image", f"The file is not a photo ({_ACCEPTED_NAMES}).")


def _too_many_pixels(size: tuple[int, int]) -> PhotoRejected:
    return PhotoRejected(
        "too_many_pixels", f"The image has too many pixels ({size[0]} x {size[1]})."
    )


def _check_pixels(im: Image.Image, source_format: str) -> None:
    limit = _MAX_PIXELS.get(source_format, _FULL_DECODE_MAX_PIXELS)
    if source_format == "JPEG" and im.info.get("progressive"):
        # libjpeg buffers every DCT coefficient of a progressive JPEG (3 to 6
        # bytes a pixel), whatever the scale it is decoded at.
        limit = _FULL_DECODE_MAX_PIXELS
    width, height = im.size
    if width * height > limit:
        raise _too_many_pixels(im.size)


def _draft_request(size: tuple[int, int], long_edge: int) -> tuple[int, int] | None:
    """The size to ask draft() for: proportional, long edge exactly long_edge.

    draft() picks the largest 1/2, 1/4, 1/8 scale that is still at least this
    big, so the decoded long edge stays >= long_edge and thumbnail() does the
    final, good-quality step. None when the image is already small enough.
    """
    width, height = size
    longest = max(width, height)
    if longest <= long_edge:
        return None
    return (
        max(1, round(width * long_edge / longest)),
        max(1, round(height * long_edge / longest)),
    )


def _orientation(im: Image.Image) -> int:
    try:
        value = im.getexif().get(_ORIENTATION, 1)
        return value if value in _UPRIGHT else 1
    except (*_DECODE_ERRORS, TypeError, KeyError):
        return 1  # unreadable EXIF: keep the pixels as stored


def _upright(im: Image.Image, orientation: int) -> Image.Image:
    if orientation == 1:
        return im
    if _orientation(im) == orientation:
        try:
            return ImageOps.exif_transpose(im)
        except (*_DECODE_ERRORS, TypeError, KeyError):
            pass
    # draft() or a plugin lost the EXIF, or Pillow could not rewrite it: do
    # the same transposition from the orientation read before decoding.
    return im.transpose(_UPRIGHT[orientation])


def _to_rgb(im: Image.Image) -> Image.Image:
    if im.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        # 16-bit greyscale (PNG): scale to 8 bits; convert() would clip to white.
        im = im.convert("I").point(lambda v: v / 256).convert("L")
    elif im.has_transparency_data:
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        white.alpha_composite(rgba)
        im = white
    return im.convert("RGB")
