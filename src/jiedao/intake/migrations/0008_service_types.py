"""Service types (intake.service_types): a programme names its type; what only the subsidy asks
(a block, an address, sensitive consent, an ID number) may be empty for other types, whose own
answers go to ``extra_answers``; statuses come from each type's lifecycle instead of one fixed
list (the choices go: no SQL for them on PostgreSQL).

SQLite rebuilds the application table for the nullable block, which drops indexes Django does not
know of: the prefix-search indexes of 0007 are created again at the end.
"""

import importlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import jiedao.lib.crypto

_prefix_indexes = importlib.import_module("jiedao.intake.migrations.0007_search_prefix_indexes")


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0009_reviewer_label_from_service_type'),
        ('intake', '0007_search_prefix_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='application',
            name='one_open_application_per_person',
        ),
        migrations.AddField(
            model_name='application',
            name='extra_answers',
            field=jiedao.lib.crypto.EncryptedJSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name='programme',
            name='service_type',
            field=models.CharField(default='hardship', max_length=40, verbose_name='服务类型'),
        ),
        migrations.AlterField(
            model_name='application',
            name='address_number',
            field=models.CharField(blank=True, max_length=20, verbose_name='号'),
        ),
        migrations.AlterField(
            model_name='application',
            name='address_road',
            field=models.CharField(blank=True, max_length=100, verbose_name='路'),
        ),
        migrations.AlterField(
            model_name='application',
            name='block',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, to='core.block', verbose_name='旧改地块'),
        ),
        migrations.AlterField(
            model_name='application',
            name='sensitive_consent_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='敏感个人信息同意时间'),
        ),
        migrations.AlterField(
            model_name='application',
            name='status',
            field=models.CharField(default='submitted', max_length=16, verbose_name='状态'),
        ),
        migrations.AlterField(
            model_name='applicationevent',
            name='from_status',
            field=models.CharField(blank=True, max_length=16),
        ),
        migrations.AlterField(
            model_name='applicationevent',
            name='to_status',
            field=models.CharField(max_length=16),
        ),
        migrations.AlterField(
            model_name='statustally',
            name='status',
            field=models.CharField(max_length=16),
        ),
        migrations.AlterField(
            model_name='submissiontally',
            name='block',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, to='core.block'),
        ),
        migrations.AddConstraint(
            model_name='application',
            constraint=models.UniqueConstraint(condition=models.Q(('status__in', ['approved', 'in_review', 'needs_more', 'resubmitted', 'submitted']), models.Q(('id_number_hash', ''), _negated=True)), fields=('programme', 'id_number_hash'), name='one_open_application_per_person'),
        ),
        migrations.RunPython(_prefix_indexes.create, migrations.RunPython.noop),
    ]
