# The delivery fields now come from lib.outbox.OutboxRow: labels only, no SQL.

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('api', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='webhookdelivery',
            name='created_at',
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name='创建时间'),
        ),
        migrations.AlterField(
            model_name='webhookdelivery',
            name='failed_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='失败时间'),
        ),
        migrations.AlterField(
            model_name='webhookdelivery',
            name='last_attempt_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='最近发送时间'),
        ),
        migrations.AlterField(
            model_name='webhookdelivery',
            name='next_attempt_at',
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name='下次发送时间'),
        ),
        migrations.AlterField(
            model_name='webhookdelivery',
            name='sent_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='发出时间'),
        ),
    ]
