"""ID numbers at rest: the plain column becomes a Fernet token and two keyed hashes; a draft's
answers become one token.

Existing rows are converted in chunks. The plain value is blanked in the same UPDATE that writes
the token, before the column is dropped: PostgreSQL's DROP COLUMN only hides a column, the bytes
stay in every row until it is rewritten. On SQLite, ``secure_delete`` zeroes the space freed by
the conversion. Pages written before this migration can still sit in free space, the WAL file or
old backups: run ``jiedao keys compact`` afterwards and retire older backups (docs/security.md).
"""

from django.db import migrations, models
from django.db.models import Q

import jiedao.lib.crypto

CHUNK = 2000


def _secure_delete(schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = ON")


def encrypt_existing(apps, schema_editor):
    from jiedao.lib.crypto import encrypt, id_hash, last4_hash

    _secure_delete(schema_editor)
    Application = apps.get_model("intake", "Application")
    last = 0
    while True:
        chunk = list(Application.objects.filter(pk__gt=last).order_by("pk").only("id", "id_number")[:CHUNK])
        if not chunk:
            break
        for application in chunk:
            number = application.id_number
            application.id_number_encrypted = encrypt(number) if number else ""
            application.id_number_hash = id_hash(number) if number else ""
            application.id_last4_hash = last4_hash(number[-4:]) if number else ""
            application.id_number = ""
            application.id_last4 = ""
        Application.objects.bulk_update(
            chunk, ["id_number_encrypted", "id_number_hash", "id_last4_hash", "id_number", "id_last4"]
        )
        last = chunk[-1].pk

    Draft = apps.get_model("intake", "Draft")
    last = None
    while True:
        drafts = Draft.objects.order_by("pk").only("id", "answers")
        if last is not None:
            drafts = drafts.filter(pk__gt=last)
        chunk = list(drafts[:CHUNK])
        if not chunk:
            break
        for draft in chunk:
            draft.answers_sealed = draft.answers
            draft.answers = {}
        Draft.objects.bulk_update(chunk, ["answers_sealed", "answers"])
        last = chunk[-1].pk


def decrypt_existing(apps, schema_editor):
    from jiedao.lib.crypto import decrypt

    Application = apps.get_model("intake", "Application")
    for application in Application.objects.exclude(id_number_encrypted="").iterator(chunk_size=CHUNK):
        number = decrypt(application.id_number_encrypted)
        Application.objects.filter(pk=application.pk).update(id_number=number, id_last4=number[-4:])
    Draft = apps.get_model("intake", "Draft")
    for draft in Draft.objects.all().iterator(chunk_size=CHUNK):
        Draft.objects.filter(pk=draft.pk).update(answers=draft.answers_sealed)


OPEN = ["approved", "in_review", "needs_more", "resubmitted", "submitted"]


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0004_tallies"),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="id_number_encrypted",
            field=models.CharField(blank=True, editable=False, max_length=200, default=""),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="application",
            name="id_number_hash",
            field=models.CharField(blank=True, editable=False, max_length=64, default=""),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="application",
            name="id_last4_hash",
            field=models.CharField(blank=True, editable=False, max_length=64, default=""),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="draft",
            name="answers_sealed",
            field=jiedao.lib.crypto.EncryptedJSONField(default=dict),
        ),
        # Before the conversion: blanking the plain column would break the old unique constraint.
        migrations.RemoveConstraint(model_name="application", name="one_open_application_per_person"),
        migrations.RemoveIndex(model_name="application", name="app_id_last4_idx"),
        migrations.RunPython(encrypt_existing, decrypt_existing, elidable=False),
        # A default, so that unapplying this migration can add the plain columns back to filled tables.
        migrations.AlterField(
            model_name="application", name="id_number", field=models.CharField(default="", max_length=18)
        ),
        migrations.AlterField(
            model_name="application", name="id_last4", field=models.CharField(default="", editable=False, max_length=4)
        ),
        migrations.RemoveField(model_name="application", name="id_number"),
        migrations.RemoveField(model_name="application", name="id_last4"),
        migrations.AddConstraint(
            model_name="application",
            constraint=models.UniqueConstraint(
                condition=Q(status__in=OPEN),
                fields=("programme", "id_number_hash"),
                name="one_open_application_per_person",
            ),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(fields=["id_number_hash"], name="app_id_hash_idx"),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(fields=["id_last4_hash"], name="app_id_last4_idx"),
        ),
        migrations.RemoveField(model_name="draft", name="answers"),
        migrations.RenameField(model_name="draft", old_name="answers_sealed", new_name="answers"),
    ]
