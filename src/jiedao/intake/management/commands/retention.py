from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from jiedao.intake.retention import audit_prune, retention_run


class Command(BaseCommand):
    help = _(
        "保存期限：jiedao retention run 删除已办结超过保存期限（JIEDAO_RETENTION_DAYS）的申请的材料照片，"
        "并将其个人信息匿名化；统计数字和办理记录保留。"
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help=_("按保存期限清理已办结的申请"))
        run.add_argument("--dry-run", action="store_true", help=_("只列出将被清理的申请，不做改动"))
        run.add_argument("--days", type=int, default=None, help=_("保存天数，默认取 JIEDAO_RETENTION_DAYS"))

    def handle(self, *args, action, dry_run, days, **options):
        if days is not None and days < 1:
            raise CommandError(_("保存天数至少为 1 天。"))
        result = retention_run(days=days, dry_run=dry_run)
        for reference in result.references:
            self.stdout.write(reference)
        if dry_run:
            self.stdout.write(_("将清理 %(count)d 份已办结的申请（未做改动）。") % {"count": len(result.references)})
        else:
            self.stdout.write(
                _("已清理 %(count)d 份已办结的申请，删除照片文件 %(files)d 个。")
                % {"count": len(result.references), "files": result.files_deleted}
            )
        # Each other service's own clean-up (JIEDAO_RETENTION_EXTRA_ROUNDS), named by setting so
        # that this command imports none of them.
        for path in getattr(settings, "JIEDAO_RETENTION_EXTRA_ROUNDS", ()):
            for what, count in import_string(path)(dry_run=dry_run).items():
                if dry_run:
                    self.stdout.write(_("%(what)s：将删除 %(count)d 条（未做改动）。") % {"what": what, "count": count})
                else:
                    self.stdout.write(_("%(what)s：已删除 %(count)d 条。") % {"what": what, "count": count})
        try:
            pruned = audit_prune(dry_run=dry_run)
        except ValueError as error:
            raise CommandError(str(error)) from None
        if pruned and dry_run:
            self.stdout.write(_("审计记录：超过保存期限的 %(count)d 条将被删除（未做改动）。") % {"count": pruned})
        elif pruned:
            self.stdout.write(_("审计记录：超过保存期限的 %(count)d 条已删除。") % {"count": pruned})
