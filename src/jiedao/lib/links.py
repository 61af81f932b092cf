"""What the public pages' QR codes and SMS links share: an address on this site for an SMS, a QR
code as inline SVG (no image files, no CDN), and codes that change every day."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

import qrcode
import qrcode.image.svg
from django.conf import settings


def site_link(path: str) -> str:
    """An address on this site for an SMS: the status page's address (``JIEDAO_SMS_SITE``) names
    the site, so a deployment configures one address, not one per service."""
    root = settings.JIEDAO_SMS_SITE.split("/status/")[0].rstrip("/")
    return f"{root}/{path.lstrip('/')}"


def qr_svg(data: str) -> str:
    return qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2).to_string(
        encoding="unicode"
    )


def daily_code(purpose: str, key: object, day: dt.date) -> str:
    """A code for ``key`` that changes every ``day`` (a venue's or a post's check-in QR): a photo
    of it forwarded to a group chat is no use the next day, and it cannot be made without the
    server's key."""
    message = f"jiedao.{purpose}:{key}:{day.isoformat()}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()[:10]


def short_token() -> str:
    """The code in a person's own link (``/a/<code>/``, ``/v/<code>/``): 10 URL-safe characters
    (60 bits), short enough for an SMS parameter, too many to guess."""
    return secrets.token_urlsafe(8)[:10]
