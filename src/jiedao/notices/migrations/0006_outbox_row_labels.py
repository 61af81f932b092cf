# The delivery fields now come from lib.outbox.OutboxRow: labels only, no SQL.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('notices', '0005_event_from_registered_templates'),
    ]

    operations = [
        migrations.AlterField(
            model_name='notice',
            name='sent_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='发出时间'),
        ),
    ]
