from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("intake", "0005_id_numbers_at_rest")]

    operations = [
        migrations.AddIndex(
            model_name="application", index=models.Index(fields=["submitted_at", "id"], name="app_newest_idx")
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(fields=["status", "submitted_at", "id"], name="app_status_newest_idx"),
        ),
        migrations.AddIndex(
            model_name="application", index=models.Index(fields=["updated_at", "id"], name="app_waiting_idx")
        ),
    ]
