# Events come from registered SMS templates (notices.templates.sms_template_register): the choices go, no SQL.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('notices', '0004_reference_reminder'),
    ]

    operations = [
        migrations.AlterField(
            model_name='notice',
            name='event',
            field=models.CharField(max_length=16, verbose_name='事项'),
        ),
    ]
