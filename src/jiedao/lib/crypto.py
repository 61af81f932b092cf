"""Personal data at rest: ID numbers encrypted with rotatable keys, found again by keyed hashes.

- **Encryption** is Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``) through
  ``MultiFernet``: ``settings.JIEDAO_ID_KEYS`` lists the keys, the first encrypts, every one of
  them decrypts. Rotation is: put a new key first, run ``jiedao keys rotate`` (re-encrypts every
  row with it), then drop the old key. A database dump or backup therefore holds only tokens.
- **Equality without decryption**: a Fernet token is different every time, so the database
  cannot compare two of them. ``id_hash`` is an HMAC-SHA256 of the normalised number under a
  separate key (``settings.JIEDAO_ID_HASH_KEY``): the "one open application per person" unique
  index, the household-roster match and the search by full number compare these. ID numbers are
  few enough to enumerate (region × birth date × sequence), so a plain SHA-256 would be reversed
  in hours; without the key the HMAC reveals nothing.
- **Search by the last four characters** uses ``last4_hash``, the same HMAC over a different
  prefix, so it cannot be compared with ``id_hash`` values.
- **Drafts** keep their whole answers (name, ID number, phone, address, household note) as one
  token: ``EncryptedJSONField``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction

__all__ = [
    "InvalidToken",
    "EncryptedJSONField",
    "decrypt",
    "encrypt",
    "id_hash",
    "is_current",
    "last4_hash",
    "reseal_all",
    "rotate",
]


@lru_cache(maxsize=4)
def _fernets(keys: tuple[str, ...]) -> tuple[MultiFernet, Fernet]:
    if not keys:
        raise ImproperlyConfigured("JIEDAO_ID_KEYS must list at least one Fernet key.")
    try:
        fernets = [Fernet(key.encode()) for key in keys]
    except ValueError:
        raise ImproperlyConfigured(
            "JIEDAO_ID_KEYS must be comma-separated Fernet keys (32 url-safe base64-encoded bytes each)."
        ) from None
    return MultiFernet(fernets), fernets[0]


def _keys() -> tuple[MultiFernet, Fernet]:
    # Read from settings on every call (cached per key list) so that a test overriding the keys,
    # or a rotation run, sees the keys in force now.
    return _fernets(tuple(settings.JIEDAO_ID_KEYS))


@lru_cache(maxsize=4)
def _keyed(key: str):
    if len(key) < 32:
        raise ImproperlyConfigured("JIEDAO_ID_HASH_KEY must be at least 32 characters.")
    # Keyed once; each hash copies this state (half the cost of a fresh hmac.new on 18 bytes).
    return hmac.new(key.encode(), digestmod=hashlib.sha256)


def encrypt(plain: str) -> str:
    """A Fernet token (ASCII, 120 characters for an 18-character ID number) under the current key."""
    return _keys()[0].encrypt(plain.encode()).decode("ascii")


def decrypt(token: str) -> str:
    """The plain text of a token made with any configured key; ``InvalidToken`` otherwise."""
    return _keys()[0].decrypt(token.encode("ascii")).decode()


def is_current(token: str) -> bool:
    """Whether ``token`` is already encrypted with the current (first) key: rotation skips it."""
    try:
        _keys()[1].decrypt(token.encode("ascii"))
    except InvalidToken:
        return False
    return True


def rotate(token: str) -> str:
    """The same plain text under the current key (``MultiFernet.rotate``)."""
    return _keys()[0].rotate(token.encode("ascii")).decode("ascii")


def _hmac(domain: bytes, value: str) -> str:
    keyed = _keyed(settings.JIEDAO_ID_HASH_KEY).copy()
    keyed.update(domain + value.encode())
    return keyed.hexdigest()


def id_hash(number: str) -> str:
    """Keyed hash of a normalised ID number, for equality: duplicates, roster match, full-number search."""
    return _hmac(b"id-number:", number.upper())


def last4_hash(last4: str) -> str:
    """Keyed hash of an ID number's last four characters, for the staff search "123X"."""
    return _hmac(b"id-last4:", last4.upper())


class EncryptedJSONField(models.TextField):
    """A JSON value stored as one Fernet token: readable in Python, opaque in the database.

    No lookups into the value are possible (the database sees ciphertext); use it for data that is
    only ever read whole, such as a draft's answers. An empty value ({}, []) is stored as the empty
    string: there is nothing to hide, and a million cases without extra answers would otherwise
    cost a million Fernet tokens to write (measured: the generator's rate fell by a third).
    """

    def from_db_value(self, value, expression, connection):
        if value is None:
            return value
        if value == "":
            return self.get_default()
        return json.loads(decrypt(value))

    def to_python(self, value):
        # A string is a token from `dumpdata` being loaded back; anything else is the value itself.
        if isinstance(value, str):
            return json.loads(decrypt(value)) if value else self.get_default()
        return value

    def get_prep_value(self, value):
        if value is None:
            return None
        if value in ({}, []):
            return ""
        return encrypt(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))

    def value_to_string(self, obj):
        # dumpdata writes the token, never the plain answers.
        return self.get_prep_value(self.value_from_object(obj))


@dataclass(frozen=True)
class Resealed:
    model: str
    rows: int
    changed: int


def reseal_all(model, *, batch_size: int = 2000) -> Resealed:
    """Rewrite every row of ``model`` whose sealed fields are not under the current keys.

    ``model`` has ``SEALED_FIELDS`` and ``reseal()`` (see ``Application``). Chunked by primary key,
    one transaction per chunk, rows locked while rewritten (``FOR UPDATE`` on PostgreSQL; SQLite
    takes the write lock at BEGIN), so a change the service makes meanwhile is neither lost nor
    overwritten. Only the sealed fields are written. Safe to interrupt and run again: rows done
    already are skipped.
    """
    rows = changed = 0
    last = None
    while True:
        with transaction.atomic():
            queryset = model.objects.select_for_update().order_by("pk")
            if last is not None:
                queryset = queryset.filter(pk__gt=last)
            chunk = list(queryset[:batch_size])
            if not chunk:
                break
            dirty = [row for row in chunk if row.reseal()]
            if dirty:
                model.objects.bulk_update(dirty, list(model.SEALED_FIELDS))
        rows += len(chunk)
        changed += len(dirty)
        last = chunk[-1].pk
    return Resealed(model._meta.label, rows, changed)


class SealedIdNumber:
    """For a model that keeps an ID number as ``id_number_encrypted`` (a Fernet token) and
    ``id_number_hash`` (the keyed hash that finds it): the plain number as a property, and
    ``reseal`` for ``jiedao keys rotate``. A plain mixin, no fields, so adding it migrates nothing."""

    SEALED_FIELDS = ("id_number_encrypted", "id_number_hash")

    @property
    def id_number(self) -> str:
        return decrypt(self.id_number_encrypted) if self.id_number_encrypted else ""

    @id_number.setter
    def id_number(self, number: str) -> None:
        # Also what ``Model(id_number=...)`` calls.
        self.id_number_encrypted = encrypt(number) if number else ""
        self.id_number_hash = id_hash(number) if number else ""

    def reseal(self) -> bool:
        """The token to the current key and the hash to the current hash key; False when both
        already are, so a second run changes nothing."""
        if not self.id_number_encrypted:
            return False
        number = self.id_number
        if is_current(self.id_number_encrypted) and self.id_number_hash == id_hash(number):
            return False
        self.id_number = number
        return True
