from django.db import migrations, models
from django.db.models import Count, Q


def count_the_waitlists(apps, schema_editor):
    Activity = apps.get_model("activities", "Activity")
    waiting = Activity.objects.annotate(n=Count("signups", filter=Q(signups__status="waitlisted"))).filter(n__gt=0)
    for activity in waiting:
        Activity.objects.filter(pk=activity.pk).update(waitlist_length=activity.n)


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0002_activity_sms_note"),
    ]

    operations = [
        migrations.AddField(
            model_name="activity",
            name="waitlist_length",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(count_the_waitlists, migrations.RunPython.noop),
    ]
