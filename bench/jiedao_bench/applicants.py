"""Made-up residents and the applications they submit through POST /api/v1/applications.

Every submission is a new person (a valid GB 11643 ID number and a distinct mobile), so that
nothing is refused as a duplicate and every failure the bench counts is the server's. The
documents are the JGBK programme's smallest set, so the photo work per application is the least
any real applicant brings.
"""

from __future__ import annotations

import datetime as dt
import os

# The JGBK programme's "disabled" category asks for the ID card (two pages), the bank card and the
# disability certificate: four photos per application, the fewest any category needs.
SUBMIT_DOCUMENTS = [("id_card", "id_front"), ("id_card", "id_back"), ("bank_card", "bank_card"),
                    ("disability_cert", "disability_certificate")]  # fmt: skip


def id_check_char(first17: str) -> str:
    """GB 11643 check character, so that every made-up ID number is valid."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights)) % 11]


def made_up_person(k: int) -> tuple[str, str]:
    """(ID number, mobile) of the k-th made-up applicant: distinct for every k < 10,000,000."""
    birth = dt.date(1930, 1, 1) + dt.timedelta(days=k // 499)
    first17 = f"310106{birth:%Y%m%d}{500 + k % 499:03d}"
    return first17 + id_check_char(first17), f"139{k:08d}"


def multipart(fields: list[tuple[str, str]], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    boundary = "jiedaobench" + os.urandom(8).hex()
    parts = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, data in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     "Content-Type: image/jpeg\r\n\r\n".encode() + data + b"\r\n")  # fmt: skip
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def submission(k: int, photos: list[bytes]) -> tuple[bytes, str]:
    id_number, phone = made_up_person(k)
    fields = [("programme", "JGBK"), ("name", "张志远"), ("id_number", id_number), ("phone", phone),
              ("address", "中兴路1021弄7号201室"), ("neighbourhood", "zhijiangxincun"), ("block", "yuqun-west"),
              ("categories", "disabled"), ("consent", "true")]  # fmt: skip
    files = [(f"doc_{code}", f"{kind}.jpg", data) for (code, kind), data in zip(SUBMIT_DOCUMENTS, photos)]
    return multipart(fields, files)
