from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from jiedao.ops.backup import BackupError, backup_create


class Command(BaseCommand):
    help = _(
        "在线备份：数据库和全部材料照片写入一个 .tar 文件（含 manifest.json 校验清单）。"
        "身份证号加密密钥不在备份里，请另行保管。"
    )

    def add_arguments(self, parser):
        parser.add_argument("destination", type=Path, help=_("备份文件（.tar）或存放备份的目录"))

    def handle(self, *args, destination, **options):
        try:
            result = backup_create(destination=destination)
        except BackupError as error:
            raise CommandError(str(error)) from None
        counts = result.manifest["counts"]
        self.stdout.write(
            _("备份已写入 %(path)s：%(applications)d 份申请，%(files)d 个文件。")
            % {"path": result.path, "applications": counts["applications"], "files": counts["files"]}
        )
        for name in result.manifest["missing_files"]:
            self.stderr.write(_("备份期间被删除、未能备份的文件：%(name)s") % {"name": name})
