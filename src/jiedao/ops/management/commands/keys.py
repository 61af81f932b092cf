"""`jiedao keys`: the keys that protect ID numbers at rest (see jiedao.lib.crypto, docs/security.md).

- ``jiedao keys new`` prints a fresh Fernet key, to put first in JIEDAO_ID_KEYS.
- ``jiedao keys rotate`` re-encrypts every stored ID number (applications, roster) and every draft
  with the first key, and recomputes the keyed hashes with JIEDAO_ID_HASH_KEY. Chunked and
  idempotent: run it again after an interruption; a second run rewrites no ID number.
- ``jiedao keys compact`` rewrites the tables' files so that no freed space keeps old bytes
  (PostgreSQL: VACUUM FULL, which locks each table while it runs; SQLite: WAL checkpoint + VACUUM).
"""

from cryptography.fernet import Fernet
from django.core.management.base import BaseCommand
from django.db import connection
from django.utils.translation import gettext as _

from jiedao.intake.models import Application, Draft
from jiedao.lib.crypto import reseal_all
from jiedao.reports.models import RosterEntry
from jiedao.sites.models import SiteWorker

SEALED_MODELS = (Application, RosterEntry, Draft, SiteWorker)


class Command(BaseCommand):
    help = _("身份证号码加密密钥：new 生成新密钥，rotate 用当前密钥重新加密，compact 清理数据库文件中的旧数据。")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("new", help=_("生成一个新的加密密钥（放在 JIEDAO_ID_KEYS 的最前面）"))
        rotate = sub.add_parser("rotate", help=_("用当前密钥重新加密所有身份证号码和草稿，可以重复运行"))
        rotate.add_argument("--batch-size", type=int, default=2000, help=_("每批处理多少行（每批一个事务）"))
        sub.add_parser("compact", help=_("重写数据表文件，清除已删除或已替换的旧数据"))

    def handle(self, *args, action, **options):
        if action == "new":
            self.stdout.write(Fernet.generate_key().decode())
        elif action == "rotate":
            for model in SEALED_MODELS:
                result = reseal_all(model, batch_size=options["batch_size"])
                self.stdout.write(
                    _("%(table)s：共 %(rows)d 行，重新加密 %(changed)d 行。")
                    % {"table": model._meta.db_table, "rows": result.rows, "changed": result.changed}
                )
        elif action == "compact":
            self._compact()

    def _compact(self):
        tables = [model._meta.db_table for model in SEALED_MODELS]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for table in tables:
                    cursor.execute(f"VACUUM FULL {connection.ops.quote_name(table)}")
        elif connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA secure_delete = ON")
                cursor.execute("VACUUM")
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.stdout.write(_("已重写：%(tables)s。") % {"tables": ", ".join(tables)})
