"""Plain SQL for the few writes where Django's ORM costs more than the database: bulk writes
(building, validating and compiling a model per row is about 80 µs a row on SQLite), and the
single inserts made while every other writer waits (``insert_one``). For bulk writes the caller
prepares its rows' values (``Field.get_db_prep_save`` or the backend's adapters) and runs the
statement with ``cursor.executemany``."""

from __future__ import annotations

from functools import lru_cache

from django.db import connection


def insert_sql(model, fields, *, keep_existing: bool = False) -> str:
    """INSERT into ``model``'s table of ``fields`` (model fields), one row of placeholders. With
    ``keep_existing``, a row that breaks a unique constraint is skipped (ON CONFLICT DO NOTHING:
    PostgreSQL, SQLite ≥ 3.24)."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    conflict = " ON CONFLICT DO NOTHING" if keep_existing else ""
    return f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders}){conflict}"


@lru_cache(maxsize=64)
def _insert_one_sql(model, vendor: str) -> tuple[str, tuple]:
    fields = tuple(field for field in model._meta.concrete_fields if field is not model._meta.auto_field)
    returning = f" RETURNING {connection.ops.quote_name(model._meta.pk.column)}"
    return insert_sql(model, fields) + returning, fields


def insert_one(instance) -> None:
    """Save a new ``instance`` as ``save(force_insert=True)`` does (defaults and ``auto_now_add``
    filled in, values adapted by each field, the new key set on it), with an INSERT written once
    per model: for the inserts made under a lock that every other writer is waiting for, where
    Django compiling the same statement again was most of the time the lock was held. Sends no
    signals (nothing here listens to them)."""
    if not connection.features.can_return_columns_from_insert:
        instance.save(force_insert=True)
        return
    sql, fields = _insert_one_sql(type(instance), connection.vendor)
    values = [field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        (pk,) = cursor.fetchone()
    instance.pk = type(instance)._meta.pk.to_python(pk)
    instance._state.adding = False
    instance._state.db = connection.alias
