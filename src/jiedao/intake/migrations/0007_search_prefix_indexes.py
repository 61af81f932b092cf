"""Indexes that the queue's prefix searches can use (``startswith`` / ``istartswith``).

Django's ``startswith`` is ``LIKE 'x%'``. SQLite uses an index for it only when the index has the
NOCASE collation (its LIKE is case-insensitive); PostgreSQL only with a ``*_pattern_ops`` operator
class (unless the database's collation is C), and ``istartswith`` compares ``UPPER(col::text)``.
Neither is expressible as one portable ``models.Index``, hence raw SQL per database.
"""

from django.db import migrations, models

SQLITE = [
    ("app_name_prefix_idx", "applicant_name COLLATE NOCASE"),
    ("app_pinyin_prefix_idx", "name_pinyin COLLATE NOCASE"),
    ("app_initials_prefix_idx", "name_initials COLLATE NOCASE"),
]
POSTGRESQL = [
    ("app_name_prefix_idx", "applicant_name varchar_pattern_ops"),
    ("app_name_upper_prefix_idx", "(UPPER(applicant_name::text)) text_pattern_ops"),
    ("app_pinyin_prefix_idx", "name_pinyin varchar_pattern_ops"),
    ("app_initials_prefix_idx", "name_initials varchar_pattern_ops"),
]


def _indexes(schema_editor):
    vendor = schema_editor.connection.vendor
    return SQLITE if vendor == "sqlite" else POSTGRESQL if vendor == "postgresql" else []


def create(apps, schema_editor):
    for name, column in _indexes(schema_editor):
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON intake_application ({column})")


def drop(apps, schema_editor):
    for name, _column in _indexes(schema_editor):
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("intake", "0006_queue_order_indexes")]

    operations = [
        migrations.AddIndex(model_name="application", index=models.Index(fields=["proxy_phone"], name="app_proxy_phone_idx")),
        migrations.RunPython(create, drop),
    ]
