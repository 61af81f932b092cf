"""Plain SQL for the few bulk writes where Django's bulk_create costs more than the database:
building, validating and compiling a model per row (about 80 µs a row on SQLite). The caller
prepares its rows' values (``Field.get_db_prep_save`` or the backend's adapters) and runs the
statement with ``cursor.executemany``."""

from __future__ import annotations

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
