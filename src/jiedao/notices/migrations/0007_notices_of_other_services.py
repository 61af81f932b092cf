"""Notices of services other than the subsidy: a notice may have no case (``subject`` names what
it is about) and names the neighbourhood whose staff see it; existing notices take their case's."""

import django.db.models.deletion
from django.db import migrations, models


def neighbourhood_from_case(apps, schema_editor):
    Notice = apps.get_model("notices", "Notice")
    Application = apps.get_model("intake", "Application")
    case = Application.objects.filter(pk=models.OuterRef("application_id")).values("neighbourhood_id")[:1]
    Notice.objects.filter(application__isnull=False).update(neighbourhood_id=models.Subquery(case))


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0009_reviewer_label_from_service_type'),
        ('intake', '0008_service_types'),
        ('notices', '0006_outbox_row_labels'),
    ]

    operations = [
        migrations.AddField(
            model_name='notice',
            name='neighbourhood',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='core.neighbourhood', verbose_name='居民区'),
        ),
        migrations.AddField(
            model_name='notice',
            name='subject',
            field=models.CharField(blank=True, max_length=60, verbose_name='事由'),
        ),
        migrations.AlterField(
            model_name='notice',
            name='application',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='notices', to='intake.application', verbose_name='申请'),
        ),
        migrations.AlterField(
            model_name='notice',
            name='recipient',
            field=models.CharField(choices=[('applicant', '申请人'), ('proxy', '代办人'), ('person', '本人')], default='applicant', max_length=16, verbose_name='接收人'),
        ),
        migrations.RunPython(neighbourhood_from_case, migrations.RunPython.noop),
    ]
