import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from jiedao.intake.services import drafts_purge


class Command(BaseCommand):
    help = _("未提交的申请草稿：jiedao drafts purge 删除过期草稿及其照片。")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        purge = sub.add_parser("purge", help=_("删除长时间未动的草稿"))
        purge.add_argument(
            "--older-than-hours", type=int, default=settings.JIEDAO_DRAFT_MAX_AGE_HOURS, help=_("草稿保留的小时数")
        )

    def handle(self, *args, action, older_than_hours, **options):
        count = drafts_purge(older_than=dt.timedelta(hours=older_than_hours))
        self.stdout.write(_("已删除 %(count)d 份过期草稿。") % {"count": count})
