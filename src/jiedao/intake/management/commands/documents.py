import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from jiedao.intake.housekeeping import orphans_sweep, spool_sweep


class Command(BaseCommand):
    help = _("材料照片的存储：jiedao documents sweep 删除没有任何记录引用的过期照片文件。")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sweep = sub.add_parser("sweep", help=_("删除中断的提交留下的照片文件"))
        sweep.add_argument("--older-than-hours", type=int, default=24, help=_("只删除早于这么多小时的文件"))
        sweep.add_argument("--dry-run", action="store_true", help=_("只列出，不删除"))

    def handle(self, *args, action, older_than_hours, dry_run, **options):
        if older_than_hours < 1:
            raise CommandError(_("--older-than-hours 至少为 1：照片先存储、后写入记录，太短会误删正在提交的照片。"))
        result = orphans_sweep(older_than=dt.timedelta(hours=older_than_hours), dry_run=dry_run)
        for name in result.deleted:
            self.stdout.write(name)
        # Raw uploads of killed requests: after an hour, whatever --older-than-hours says.
        spooled = spool_sweep(dry_run=dry_run)
        spool_message = _("中断的上传留下的临时文件 %(count)d 个已删除。") if not dry_run else _("中断的上传留下的临时文件 %(count)d 个（未删除）。")
        self.stdout.write(spool_message % {"count": len(spooled)})
        message = _("无人引用的照片文件 %(count)d 个已删除。") if not dry_run else _("无人引用的照片文件 %(count)d 个（未删除）。")
        self.stdout.write(message % {"count": len(result.deleted)})
