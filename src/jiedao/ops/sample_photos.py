"""Fake but realistic-looking phone photos of residents' documents.

Used by the demo data and by the tests of :mod:`jiedao.intake.photos`. Every
picture is obviously a sample: the fields hold placeholder bars and zeros, the
titles say SAMPLE, and a large diagonal "SAMPLE" watermark is drawn whenever
Pillow has a scalable font (``ImageFont.load_default(size=...)`` needs
FreeType). No real document layout, emblem or number is reproduced.

The scene is a card or page lying slightly askew on a table, with a soft
shadow, uneven lighting and a little sensor noise, so that a reviewer screen
fed with these looks like the real thing. Output is deterministic for a given
``(kind, seed, size, exif_orientation, gps, fmt)`` and takes well under 0.1 s
at the default size on an ordinary machine (HEIF excepted: x265 needs ~0.2 s).

``exif_orientation`` imitates a phone held sideways: the pixels are stored as
the sensor recorded them and the EXIF Orientation tag says how to turn them,
so a viewer that honours the tag (and :func:`jiedao.intake.photos.process_photo`)
shows the document upright at ``size``. For HEIF, pillow_heif records the
rotation the way iPhones do (an ``irot``/``imir`` transform in the container).
"""

from __future__ import annotations

import io
import random

from PIL import (
    ExifTags,
    Image,
    ImageChops,
    ImageDraw,
    ImageFilter,
    ImageFont,
    TiffImagePlugin,
)

__all__ = ["KINDS", "FORMATS", "sample_document_photo"]

KINDS = (
    "id_front",
    "id_back",
    "household_register",
    "disability_certificate",
    "bank_card",
    "medical_record",
    "other",
)
FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")

# How to store upright pixels so that applying the EXIF orientation shows them
# upright again: the inverse of the transposition ImageOps.exif_transpose does.
_STORE_FOR_ORIENTATION = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}

# People's Square, Shanghai: 31°13'48"N 121°28'26"E.
_SHANGHAI_GPS = {
    ExifTags.GPS.GPSVersionID: b"\x02\x03\x00\x00",
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (31.0, 13.0, 48.0),
    ExifTags.GPS.GPSLongitudeRef: "E",
    ExifTags.GPS.GPSLongitude: (121.0, 28.0, 26.0),
}

# kind -> (aspect ratio width/height of the document, header colour, title)
_LAYOUT = {
    "id_front": (85.6 / 54.0, (70, 120, 170), "RESIDENT IDENTITY CARD - SAMPLE"),
    "id_back": (85.6 / 54.0, (150, 60, 50), "IDENTITY CARD (BACK) - SAMPLE"),
    "household_register": (0.72, (120, 40, 45), "HOUSEHOLD REGISTER - SAMPLE"),
    "disability_certificate": (0.70, (40, 110, 80), "DISABILITY CERTIFICATE - SAMPLE"),
    "bank_card": (85.6 / 54.0, (25, 55, 105), "SAMPLE BANK"),
    "medical_record": (0.707, (45, 125, 140), "MEDICAL RECORD - SAMPLE"),
    "other": (0.75, (110, 110, 120), "DOCUMENT - SAMPLE"),
}

_TABLES = [
    ((150, 110, 75), (95, 65, 40)),  # wood
    ((185, 180, 170), (120, 118, 112)),  # grey laminate
    ((205, 195, 175), (150, 140, 120)),  # beige desk
    ((95, 100, 110), (45, 48, 55)),  # dark desk
]


def _font(size: int) -> ImageFont.FreeTypeFont | None:
    """A scalable font, or None when Pillow was built without FreeType."""
    try:
        font = ImageFont.load_default(size=size)
    except (OSError, ValueError, TypeError):
        return None
    return font if isinstance(font, ImageFont.FreeTypeFont) else None


def _two_tone(gradient: Image.Image, black: tuple, white: tuple) -> Image.Image:
    """Map an "L" gradient onto the colours black..white (cheap at small sizes)."""
    luts = [[round(b + (w - b) * v / 255) for v in range(256)] for b, w in zip(black, white)]
    return Image.merge("RGB", [gradient.point(lut) for lut in luts])


def _text_bars(draw, rng, box, rows, *, colour=(150, 150, 150), labels=None, font=None):
    """Grey bars standing in for lines of text, optionally after a label."""
    x0, y0, x1, y1 = box
    pitch = (y1 - y0) / max(rows, 1)
    bar_h = max(2, int(pitch * 0.38))
    for i in range(rows):
        y = int(y0 + i * pitch + (pitch - bar_h) / 2)
        x = x0
        if labels and font is not None:
            label = labels[i % len(labels)]
            draw.text((x, y + bar_h // 2), label, fill=(110, 110, 110), font=font, anchor="lm")
            x += int(draw.textlength(label, font=font)) + bar_h
        length = int((x1 - x) * rng.uniform(0.35, 0.95))
        if length > bar_h:
            draw.rounded_rectangle((x, y, x + length, y + bar_h), radius=bar_h // 2, fill=colour)


def _portrait(draw, box):
    """A passport-photo silhouette."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    draw.rectangle(box, fill=(214, 228, 240), outline=(170, 185, 200), width=max(1, int(w // 60)))
    cx = x0 + w / 2
    r = w * 0.2
    head_cy = y0 + h * 0.38
    draw.ellipse((cx - r, head_cy - r * 1.2, cx + r, head_cy + r * 1.2), fill=(120, 125, 135))
    draw.pieslice(
        (x0 + w * 0.1, y0 + h * 0.66, x1 - w * 0.1, y1 + h * 0.45), 180, 360, fill=(120, 125, 135)
    )


def _draw_document(kind: str, rng: random.Random, doc_w: int, doc_h: int) -> Image.Image:
    _, header, title = _LAYOUT[kind]
    card = kind in ("id_front", "id_back", "bank_card")
    paper = (246, 244, 236) if not card else (238, 241, 244)
    doc = Image.new("RGBA", (doc_w, doc_h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(doc)
    radius = int(min(doc_w, doc_h) * (0.05 if card else 0.01))
    u = min(doc_w, doc_h) / 100.0  # layout unit
    font_title = _font(max(8, int(u * 5.5)))
    font_label = _font(max(7, int(u * 3.6)))

    if kind == "bank_card":
        # A dark gradient card, gold chip, embossed-looking zeros.
        bottom = tuple(min(255, c + 70) for c in header)
        body = _two_tone(Image.linear_gradient("L"), header, bottom).resize(
            (doc_w, doc_h), Image.Resampling.BILINEAR
        )
        mask = Image.new("L", (doc_w, doc_h), 0)
        ImageDraw.Draw(mask).rounded_rectangle(
            (0, 0, doc_w - 1, doc_h - 1), radius=radius, fill=255
        )
        body.putalpha(mask)
        doc = body
        draw = ImageDraw.Draw(doc)
        draw.rounded_rectangle(
            (u * 9, u * 26, u * 24, u * 37),
            radius=int(u * 2),
            fill=(212, 180, 90),
            outline=(160, 130, 60),
        )
        if font_title is not None:
            draw.text((u * 9, u * 7), title, fill=(240, 240, 240), font=font_title)
            big = _font(max(8, int(u * 8)))
            draw.text((u * 9, u * 47), "0000 0000 0000 0000", fill=(225, 225, 225), font=big)
            draw.text(
                (u * 9, u * 64),
                "VALID THRU 00/00   SAMPLE HOLDER",
                fill=(220, 220, 220),
                font=font_label,
            )
        else:
            _text_bars(draw, rng, (u * 9, u * 46, doc_w - u * 9, u * 70), 2, colour=(220, 220, 220))
        return doc

    draw.rounded_rectangle(
        (0, 0, doc_w - 1, doc_h - 1), radius=radius, fill=paper, outline=(200, 198, 190)
    )
    band_h = int(doc_h * (0.16 if card else 0.08))
    # Header band, clipped to the rounded corners by drawing it as its own rounded shape.
    draw.rounded_rectangle((0, 0, doc_w - 1, band_h + radius), radius=radius, fill=header)
    draw.rectangle((0, band_h, doc_w - 1, band_h + radius), fill=paper)
    if font_title is not None:
        draw.text(
            (doc_w / 2, band_h / 2), title, fill=(255, 255, 255), font=font_title, anchor="mm"
        )
    margin = u * 6

    if kind == "id_front":
        pw = doc_w * 0.27
        _portrait(
            draw,
            (doc_w - margin - pw, band_h + margin, doc_w - margin, band_h + margin + pw * 1.25),
        )
        _text_bars(
            draw,
            rng,
            (margin, band_h + margin, doc_w - pw - margin * 2, doc_h - u * 22),
            5,
            labels=["NAME", "SEX", "BORN", "ADDRESS", ""],
            font=font_label,
        )
        _text_bars(
            draw,
            rng,
            (margin, doc_h - u * 18, doc_w - margin, doc_h - u * 6),
            1,
            labels=["ID NO. 000000 00000000 0000"],
            font=font_label,
            colour=(200, 200, 200),
        )
    elif kind == "id_back":
        cx, cy, r = margin + u * 14, band_h + margin + u * 14, u * 13
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=header, width=max(2, int(u * 1.5)))
        draw.regular_polygon((cx, cy, r * 0.55), 5, fill=header)
        _text_bars(
            draw, rng, (margin + u * 34, band_h + margin, doc_w - margin, band_h + u * 30), 2
        )
        _text_bars(
            draw,
            rng,
            (margin, doc_h - u * 30, doc_w - margin, doc_h - u * 6),
            2,
            labels=["AUTHORITY", "VALID"],
            font=font_label,
        )
    elif kind == "household_register":
        top = band_h + margin
        rows = 9
        cell_h = (doc_h - top - margin) / rows
        for r_ in range(rows + 1):
            y = top + r_ * cell_h
            draw.line(
                (margin, y, doc_w - margin, y), fill=(170, 120, 120), width=max(1, int(u * 0.4))
            )
        for c in (0, 0.22, 0.5, 0.72, 1.0):
            x = margin + c * (doc_w - 2 * margin)
            draw.line(
                (x, top, x, top + rows * cell_h), fill=(170, 120, 120), width=max(1, int(u * 0.4))
            )
        for r_ in range(rows):
            y = top + r_ * cell_h
            for c0, c1 in ((0.25, 0.48), (0.75, 0.98)):
                x0 = margin + c0 * (doc_w - 2 * margin)
                x1 = margin + c1 * (doc_w - 2 * margin)
                _text_bars(draw, rng, (x0, y, x1, y + cell_h), 1)
    elif kind == "disability_certificate":
        pw = doc_w * 0.38
        _portrait(
            draw, ((doc_w - pw) / 2, band_h + margin, (doc_w + pw) / 2, band_h + margin + pw * 1.25)
        )
        _text_bars(
            draw,
            rng,
            (margin, band_h + margin * 2 + pw * 1.25, doc_w - margin, doc_h - margin),
            6,
            labels=["NAME", "CATEGORY", "GRADE", "NO.", "ISSUED", ""],
            font=font_label,
        )
    elif kind == "medical_record":
        _text_bars(
            draw,
            rng,
            (margin, band_h + margin, doc_w - margin, band_h + u * 30),
            3,
            labels=["PATIENT", "DEPT.", "DATE"],
            font=font_label,
        )
        draw.line(
            (margin, band_h + u * 33, doc_w - margin, band_h + u * 33),
            fill=header,
            width=max(1, int(u * 0.5)),
        )
        _text_bars(draw, rng, (margin, band_h + u * 36, doc_w - margin, doc_h - u * 20), 14)
        r = u * 9  # a round stamp
        cx, cy = doc_w - margin - r, doc_h - margin - r
        draw.ellipse(
            (cx - r, cy - r, cx + r, cy + r), outline=(200, 60, 60), width=max(2, int(u * 0.8))
        )
    else:
        _text_bars(draw, rng, (margin, band_h + margin, doc_w - margin, doc_h - margin), 16)
    return doc


def _scene(kind: str, rng: random.Random, size: tuple[int, int]) -> Image.Image:
    width, height = size
    light, dark = _TABLES[rng.randrange(len(_TABLES))]
    # Table with uneven light: a gradient at a random angle.
    gradient = Image.linear_gradient("L").rotate(
        rng.uniform(0, 360), resample=Image.Resampling.BILINEAR
    )
    scene = _two_tone(gradient.crop((48, 48, 208, 208)), dark, light).resize(
        size, Image.Resampling.BILINEAR
    )

    aspect = _LAYOUT[kind][0]
    fill = rng.uniform(0.72, 0.82)
    doc_w = min(width * fill, height * fill * aspect)
    doc_h = doc_w / aspect
    doc = _draw_document(kind, rng, max(8, int(doc_w)), max(8, int(doc_h)))
    # Nearest-neighbour rotation plus a slight blur: 5x cheaper than bilinear
    # and indistinguishable from camera softness.
    doc = doc.rotate(rng.uniform(-4.0, 4.0), resample=Image.Resampling.NEAREST, expand=True)
    doc = doc.filter(ImageFilter.BoxBlur(1))

    # Soft shadow, blurred at quarter resolution to stay cheap.
    alpha = doc.getchannel("A")
    small = alpha.resize(
        (max(1, alpha.width // 4), max(1, alpha.height // 4)), Image.Resampling.BILINEAR
    )
    small = small.filter(ImageFilter.GaussianBlur(4)).point(lambda v: v * 0.45)
    shadow = small.resize(alpha.size, Image.Resampling.BILINEAR)
    left = (width - doc.width) // 2 + rng.randint(-width // 40, width // 40)
    top = (height - doc.height) // 2 + rng.randint(-height // 40, height // 40)
    offset = max(2, min(size) // 80)
    scene.paste((0, 0, 0), (left + offset, top + offset), shadow)
    scene.paste(doc, (left, top), doc)

    font = _font(max(10, min(size) // 5))
    if font is not None:
        x0, y0, x1, y1 = font.getbbox("SAMPLE")
        mark = Image.new("L", (x1 + 4, y1 + 4), 0)
        ImageDraw.Draw(mark).text((2, 2), "SAMPLE", fill=90, font=font)
        mark = mark.crop((x0, y0, x1 + 4, y1 + 4))
        mark = mark.rotate(rng.uniform(20, 30), resample=Image.Resampling.BILINEAR, expand=True)
        scene.paste((200, 30, 30), ((width - mark.width) // 2, (height - mark.height) // 2), mark)

    # Lighting falloff and a little sensor noise (from the seeded RNG, not
    # Image.effect_noise, which is not reproducible).
    shade = (
        Image.radial_gradient("L").point(lambda v: v * 0.18).resize(size, Image.Resampling.BILINEAR)
    )
    nw, nh = max(1, width // 2), max(1, height // 2)
    noise = Image.frombytes("L", (nw, nh), rng.randbytes(nw * nh)).point(lambda v: v * 12 // 255)
    darken = ImageChops.add(shade, noise.resize(size, Image.Resampling.NEAREST))
    # scene - shade - noise + 6: darker towards the edges, +-6 levels of grain.
    return ImageChops.subtract(scene, Image.merge("RGB", (darken, darken, darken)), offset=6)


def _exif(orientation: int | None, gps: bool) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Jiedao"
    exif[ExifTags.Base.Model] = "Sample Phone"
    exif[ExifTags.Base.DateTime] = "2024:05:20 10:30:00"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    if gps:
        exif[ExifTags.IFD.GPSInfo] = {
            tag: (
                tuple(TiffImagePlugin.IFDRational(v) for v in value)
                if isinstance(value, tuple)
                else value
            )
            for tag, value in _SHANGHAI_GPS.items()
        }
    return exif


def sample_document_photo(
    kind: str,
    *,
    seed: int = 0,
    size: tuple[int, int] = (1600, 1000),
    exif_orientation: int | None = None,
    gps: bool = False,
    fmt: str = "JPEG",
) -> bytes:
    """Encoded bytes of a fake phone photo of a document of the given kind.

    ``size`` is the upright size a viewer shows. ``exif_orientation`` (1-8)
    stores the pixels sideways/flipped with the matching EXIF Orientation tag;
    ``gps=True`` adds a GPS IFD pointing at Shanghai. The photo always carries
    a little camera EXIF (make, model, date), like a real one.
    """
    if kind not in _LAYOUT:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    fmt = fmt.upper()
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if exif_orientation is not None and exif_orientation not in _STORE_FOR_ORIENTATION:
        raise ValueError("exif_orientation must be between 1 and 8")

    rng = random.Random(f"{kind}:{seed}:{size[0]}x{size[1]}")
    image = _scene(kind, rng, (int(size[0]), int(size[1])))
    exif = _exif(exif_orientation, gps)

    method = _STORE_FOR_ORIENTATION.get(exif_orientation or 1)
    if method is not None:
        image = image.transpose(method)
    out = io.BytesIO()
    if fmt == "HEIF":
        import pillow_heif

        pillow_heif.register_heif_opener()
        # pillow_heif writes the EXIF orientation as the container's irot/imir
        # transform, as iPhones do. x265's "ultrafast" preset is ~7x faster
        # than the default and looks the same here.
        image.save(out, "HEIF", quality=70, exif=exif.tobytes(), enc_params={"preset": "ultrafast"})
    elif fmt == "JPEG":
        image.save(out, "JPEG", quality=88, exif=exif.tobytes())
    elif fmt == "PNG":
        image.save(out, "PNG", compress_level=1, exif=exif.tobytes())
    else:
        image.save(out, "WEBP", quality=80, method=0, exif=exif.tobytes())
    return out.getvalue()


def _demo_gallery(directory: str) -> None:  # pragma: no cover - a manual aid
    """Write one photo of every kind to ``directory`` to eyeball them."""
    import pathlib

    path = pathlib.Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    for kind in KINDS:
        (path / f"{kind}.jpg").write_bytes(sample_document_photo(kind))


if __name__ == "__main__":  # pragma: no cover
    import sys

    _demo_gallery(sys.argv[1] if len(sys.argv) > 1 else "sample_photos")
