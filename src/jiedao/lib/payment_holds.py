"""Holds on a payment: "a subsidy payment for a person under an open objection is held".

The service that pays (the hardship subsidy) and the one that holds (public notices, whose
objections may name a person on a published list) are siblings and never import each other. A
service that may hold a payment registers a function here in its ``AppConfig.ready``: given the
keys of a person's case (an application reference, an ID number's keyed hash), it answers why the
payment waits, or None. The paying service asks ``payment_hold_reason`` before it records a
payment, inside its transaction.
"""

from __future__ import annotations

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
