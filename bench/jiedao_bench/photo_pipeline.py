"""photo_pipeline_per_s (and photo_pipeline_ms_per_photo, photo_pipeline_peak_rss): what cleaning
an uploaded phone photo costs, against the least any server must do with it.

process_photo against "Pillow alone" (draft + exif_transpose + resize to a 2000 px long edge +
JPEG q85) on the same 12 MP phone JPEGs, in the same process, in alternating rounds A,B,A,B, so the
ratio says what the pipeline's safety (limits checked before decoding, EXIF handled defensively,
metadata stripped, optimize=True) costs over the bare minimum. The photos are made to weigh what
phones' weigh (sensor noise, q92, EXIF kept): clean synthetic images decode unrealistically fast.
Peak RSS is taken in fresh subprocesses from /proc (VmHWM): a jump means a full-size decode.
The photos and pillow_alone are also used by the submission benchmark (submit.py).
"""

from __future__ import annotations

import io
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from .config import BENCH_DIR, run_temp_dir
from .stats import percentile, ratio

# 12 MP phone photos: (kind, upright size, EXIF orientation). Portrait documents are shot with
# the phone upright, so the sensor stores them landscape with Orientation 6, as phones do.
PHOTOS = [
    ("id_front", (4032, 3024), 1),
    ("id_back", (4032, 3024), 1),
    ("bank_card", (4032, 3024), 1),
    ("household_register", (3024, 4032), 6),
    ("medical_record", (3024, 4032), 6),
    ("disability_certificate", (3024, 4032), 6),
]
NOISE = 12  # +-levels of per-pixel sensor noise; brings q92 files to phone-like 3-5 MB
LONG_EDGE = 2000


def make_phone_photos(folder: Path) -> list[Path]:
    """Six distinct 12 MP JPEGs like a phone's: sample scene + sensor noise, q92, EXIF kept."""
    from PIL import Image, ImageChops

    from jiedao.ops.sample_photos import sample_document_photo

    paths = []
    for seed, (kind, size, orientation) in enumerate(PHOTOS, start=1):
        raw = sample_document_photo(kind, seed=seed, size=size, exif_orientation=orientation)
        with Image.open(io.BytesIO(raw)) as im:
            exif = im.info.get("exif", b"")
            rgb = im.convert("RGB")
        rng = random.Random(seed)
        w, h = rgb.size
        span = 2 * NOISE + 1
        noise = [
            Image.frombytes("L", (w, h), rng.randbytes(w * h)).point(lambda v: v * span // 256)
            for _ in range(3)
        ]
        noisy = ImageChops.add(rgb, Image.merge("RGB", noise), offset=-NOISE)
        path = folder / f"{seed}-{kind}.jpg"
        noisy.save(path, "JPEG", quality=92, exif=exif)
        paths.append(path)
    return paths


_PHOTOS: list[Path] = []


def phone_photos() -> list[Path]:
    """make_phone_photos once per run (it takes a while), in a folder removed when the run ends."""
    if not _PHOTOS:
        _PHOTOS.extend(make_phone_photos(run_temp_dir("jiedao-bench-photos-")))
    return list(_PHOTOS)


def pillow_alone(data: bytes) -> bytes:
    """The baseline: what the pipeline cannot avoid doing, written plainly with Pillow."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as im:
        scale = LONG_EDGE / max(im.size)
        im.draft("RGB", (round(im.width * scale), round(im.height * scale)))
        im = ImageOps.exif_transpose(im)
    im.thumbnail((LONG_EDGE, LONG_EDGE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    im.save(out, "JPEG", quality=85)
    return out.getvalue()


def jiedao_pipeline(data: bytes) -> bytes:
    from jiedao.intake.photos import process_photo

    return process_photo(io.BytesIO(data)).content


# ru_maxrss would not do: Linux carries the parent's peak through fork+exec. VmHWM belongs to
# this process alone, and writing 5 to clear_refs resets it to the current RSS.
_RSS_PROBE = """
import re, sys
sys.path.insert(0, {bench!r})
from jiedao_bench import photo_pipeline as bench
from jiedao.intake import photos  # imported for both, so that "before" is comparable
vm = lambda key: int(re.search(key + r":\\s+(\\d+) kB", open("/proc/self/status").read()).group(1))
data = open({path!r}, "rb").read()
open("/proc/self/clear_refs", "w").write("5")
before = vm("VmRSS")
getattr(bench, {func!r})(data)
print(before, vm("VmHWM"))
"""


def peak_rss_mib(func: str, path: Path) -> tuple[float, float]:
    """(extra peak RSS for one photo, whole-process peak RSS) in MiB, in a fresh interpreter."""
    code = _RSS_PROBE.format(bench=str(BENCH_DIR), path=str(path), func=func)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    before_kib, peak_kib = map(int, out.stdout.split()[-2:])
    return (peak_kib - before_kib) / 1024, peak_kib / 1024


def bench_photo_pipeline(profile: dict) -> list[dict]:
    paths = phone_photos()
    photos = [p.read_bytes() for p in paths]
    sizes_mb = [len(b) / 1e6 for b in photos]
    contenders = {"jiedao": jiedao_pipeline, "pillow": pillow_alone}
    for func in contenders.values():  # warm-up: imports, first-call costs
        func(photos[0])
    times = {name: [] for name in contenders}
    for _round in range(profile["photo_rounds"]):
        for name, func in contenders.items():  # A, B, A, B, ...
            for data in photos:
                start = time.perf_counter()
                func(data)
                times[name].append((time.perf_counter() - start) * 1000)
    probed = paths[:: max(1, len(paths) // profile["rss_photos"])]  # quick: one upright, one rotated
    rss = {name: max(peak_rss_mib(func.__name__, p) for p in probed) for name, func in contenders.items()}

    ms = {name: statistics.median(t) for name, t in times.items()}
    per_s = {name: 1000 / m for name, m in ms.items()}
    n = len(photos)
    dataset = (
        f"{n} distinct 12 MP JPEGs (4032x3024 stored; {sum(o != 1 for *_, o in PHOTOS)} with EXIF "
        f"Orientation 6), q92 with "
        f"+-{NOISE} levels of sensor noise: {min(sizes_mb):.1f}-{max(sizes_mb):.1f} MB "
        f"(mean {statistics.mean(sizes_mb):.1f} MB)"
    )
    rounds = f"{profile['photo_rounds']} interleaved rounds of each ({len(times['jiedao'])} timings each)"
    common = {"database": "none", "dataset_size": n}
    return [
        {
            **common,
            "name": "photo_pipeline_per_s",
            "value": round(per_s["jiedao"], 2),
            "unit": "photos/s",
            "baseline_name": "pillow_alone_per_s",
            "baseline_value": round(per_s["pillow"], 2),
            "ratio": ratio(per_s["jiedao"], per_s["pillow"]),
            "notes": f"One thread, from median ms per photo. {dataset}. {rounds}. Baseline: draft to "
            f"long edge {LONG_EDGE}, exif_transpose, LANCZOS thumbnail, JPEG q85 (no optimize); "
            "process_photo also checks limits and EXIF and encodes with optimize=True.",
        },
        {
            **common,
            "name": "photo_pipeline_ms_per_photo",
            "value": round(ms["jiedao"], 1),
            "unit": "ms",
            "baseline_name": "pillow_alone_ms_per_photo",
            "baseline_value": round(ms["pillow"], 1),
            "ratio": ratio(ms["jiedao"], ms["pillow"]),
            "notes": f"Median. Lower is better. p90 jiedao {percentile(times['jiedao'], 90):.1f} ms, "
            f"pillow {percentile(times['pillow'], 90):.1f} ms.",
        },
        {
            **common,
            "name": "photo_pipeline_peak_rss",
            "value": round(rss["jiedao"][0], 1),
            "unit": "MiB",
            "baseline_name": "pillow_alone_peak_rss",
            "baseline_value": round(rss["pillow"][0], 1),
            "ratio": ratio(rss["jiedao"][0], rss["pillow"][0]),
            "notes": "Peak RSS added by processing one photo in a fresh interpreter (VmHWM after minus "
            "VmRSS before; worst of the photos). Lower is better. Whole-process peak: "
            f"jiedao {rss['jiedao'][1]:.0f} MiB, pillow {rss['pillow'][1]:.0f} MiB.",
        },
    ]
