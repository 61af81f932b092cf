"""Roster ID numbers at rest: a Fernet token and a keyed hash instead of the plain column.

The plain value is blanked in the UPDATE that writes the token, before the column is dropped (see
intake 0005 for why).
"""

from django.db import migrations, models

CHUNK = 2000


def encrypt_existing(apps, schema_editor):
    from jiedao.lib.crypto import encrypt, id_hash

    if schema_editor.connection.vendor == "sqlite":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = ON")
    RosterEntry = apps.get_model("reports", "RosterEntry")
    last = 0
    while True:
        chunk = list(RosterEntry.objects.filter(pk__gt=last).order_by("pk").only("id", "id_number")[:CHUNK])
        if not chunk:
            break
        for entry in chunk:
            entry.id_number_encrypted = encrypt(entry.id_number) if entry.id_number else ""
            entry.id_number_hash = id_hash(entry.id_number) if entry.id_number else ""
            entry.id_number = ""
        RosterEntry.objects.bulk_update(chunk, ["id_number_encrypted", "id_number_hash", "id_number"])
        last = chunk[-1].pk


def decrypt_existing(apps, schema_editor):
    from jiedao.lib.crypto import decrypt

    RosterEntry = apps.get_model("reports", "RosterEntry")
    for entry in RosterEntry.objects.exclude(id_number_encrypted="").iterator(chunk_size=CHUNK):
        RosterEntry.objects.filter(pk=entry.pk).update(id_number=decrypt(entry.id_number_encrypted))


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="rosterentry",
            name="id_number_encrypted",
            field=models.CharField(blank=True, editable=False, max_length=200, default=""),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="rosterentry",
            name="id_number_hash",
            field=models.CharField(blank=True, editable=False, max_length=64, default=""),
            preserve_default=False,
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing, elidable=False),
        migrations.RemoveIndex(model_name="rosterentry", name="roster_id_idx"),
        # A default, so that unapplying this migration can add the plain column back to a filled table.
        migrations.AlterField(model_name="rosterentry", name="id_number", field=models.CharField(default="", max_length=18)),
        migrations.RemoveField(model_name="rosterentry", name="id_number"),
        migrations.AddIndex(
            model_name="rosterentry",
            index=models.Index(fields=["id_number_hash", "version"], name="roster_id_idx"),
        ),
    ]
