from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from jiedao.intake.tallies import tallies_rebuild


class Command(BaseCommand):
    help = _("统计计数：jiedao tallies rebuild 按申请和办理记录重新计算统计用的计数。")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("rebuild", help=_("重新计算全部计数"))

    def handle(self, *args, action, **options):
        tallies_rebuild()
        self.stdout.write(_("统计计数已重新计算。"))
