from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from jiedao.intake.demo import demo_load


class Command(BaseCommand):
    help = _("演示数据：jiedao demo load 载入街道、居民区、旧改地块、帮困项目、示例申请和演示账号（可重复运行）。")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help=_("载入演示数据（重复运行不会产生重复数据）"))
        load.add_argument("--no-samples", action="store_true", help=_("不创建示例申请"))
        sub.add_parser("logins", help=_("显示演示账号"))

    def handle(self, *args, action, **options):
        if action == "load":
            result = demo_load(with_samples=not options["no_samples"])
            self.stdout.write(
                _("演示数据已载入：项目 %(code)s，新建示例申请 %(count)d 份。")
                % {"code": result["programme"].code, "count": result["samples_created"]}
            )
        elif action == "logins":
            from jiedao.intake.demo import load_staff

            for username, password in load_staff().items():
                self.stdout.write(f"{username} / {password}")
