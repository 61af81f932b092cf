"""Holds on a payment: "a subsidy payment for a person under an open objection is held".

The service that pays (the hardship subsidy) and the one that holds (public notices, whose
objections may name a person on a published list) are siblings and never import each other. A
service that may hold a payment registers a function here in its ``AppConfig.ready``: given the
keys of a person's case (an application reference, an ID number's keyed hash), it answers why the
payment waits, or None. The paying service asks ``payment_hold_reason`` before it records a
payment, inside its transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

PaymentHold = Callable[[Iterable[str]], "str | None"]

_HOLDS: list[PaymentHold] = []


def payment_hold_register(hold: PaymentHold) -> PaymentHold:
    if hold not in _HOLDS:
        _HOLDS.append(hold)
    return hold


def payment_hold_unregister(hold: PaymentHold) -> None:
    if hold in _HOLDS:
        _HOLDS.remove(hold)


def payment_hold_reason(keys: Iterable[str]) -> str | None:
    """The first reason a payment to the person with these keys must wait, or None."""
    keys = [key for key in keys if key]
    for hold in tuple(_HOLDS):
        reason = hold(keys)
        if reason:
            return str(reason)
    return None


def payment_hold_lock(keys: Iterable[str]) -> None:
    """Inside a transaction: wait for, then keep until commit, the right to pay or to hold these
    persons. The payer calls it before asking ``payment_hold_reason``, a holding service before it
    writes its hold; so an objection and a payment arriving at the same instant cannot both miss
    each other (the payment sees the objection, or the objection comes after the payment).

    PostgreSQL: a transaction-scoped advisory lock per key, taken in sorted order (no deadlock
    between two callers). SQLite: nothing to do, a write transaction already has the database to
    itself (``BEGIN IMMEDIATE``)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    ids = sorted({int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True) for key in keys if key})
    with connection.cursor() as cursor:
        for lock_id in ids:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])
