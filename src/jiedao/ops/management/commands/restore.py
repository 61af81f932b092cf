from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from jiedao.ops.backup import BackupError, DatabaseNotEmpty, backup_restore


class Command(BaseCommand):
    help = _("从 jiedao backup 生成的备份恢复到一个新的实例，并按 manifest.json 逐一核对。")

    def add_arguments(self, parser):
        parser.add_argument("source", type=Path, help=_("备份文件（.tar）"))
        parser.add_argument("--force", action="store_true", help=_("数据库里已有数据时也覆盖恢复"))

    def handle(self, *args, source, force, **options):
        try:
            result = backup_restore(source=source, force=force)
        except DatabaseNotEmpty:
            raise CommandError(_("数据库里已经有数据，为避免覆盖不予恢复；确需覆盖请加 --force。")) from None
        except BackupError as error:
            raise CommandError(str(error)) from None
        for problem in result.problems:
            self.stderr.write(problem)
        if result.problems:
            raise CommandError(_("恢复后的核对发现 %(count)d 处不一致。") % {"count": len(result.problems)})
        self.stdout.write(
            _("已恢复并核对：%(applications)d 份申请，%(files)d 个文件与备份一致。")
            % {"applications": result.counts["applications"], "files": result.files}
        )
        self.stdout.write(_("提醒：身份证号的加密密钥（JIEDAO_ID_KEYS 或 DATA_DIR/id_keys）不在备份中，请从另行保管处恢复。"))
