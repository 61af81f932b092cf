"""The suite runs on SQLite and on PostgreSQL; CI checks that the PostgreSQL run really happened."""

import pytest
from django.db import connection


@pytest.mark.postgresql
@pytest.mark.django_db
def test_runs_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("set DATABASE_URL=postgres://… to run the suite on PostgreSQL")
    with connection.cursor() as cursor:
        cursor.execute("select 1")
        assert cursor.fetchone() == (1,)


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_a_busy_timeout():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite settings only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 5000
