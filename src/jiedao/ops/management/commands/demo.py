from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from jiedao.ops.demo import demo_load


class Command(BaseCommand):
    help = _("演示数据：jiedao demo load 载入街道、居民区、旧改地块、帮困项目、示例申请和演示账号（可重复运行）。")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help=_("载入演示数据（重复运行不会产生重复数据）"))
        load.add_argument("--no-samples", action="store_true", help=_("不创建示例申请"))
        sub.add_parser("logins", help=_("显示演示账号"))
        code = sub.add_parser("code", help=_("显示演示账号当前的两步验证码（仅演示环境）"))
        code.add_argument("username", help=_("演示账号的用户名"))
        # A developer's tool for benchmarks: its texts are left out of the translation catalogue.
        generate = sub.add_parser("generate", help="生成大量逼真的申请（用于性能测试），例如 --applications 1000000")
        generate.add_argument("--applications", type=int, required=True, help="生成多少份申请")
        generate.add_argument("--programme", default="JGBK", help="项目代码（默认 JGBK；不存在时先载入演示地点和账号）")
        generate.add_argument("--seed", type=int, default=2020, help="随机种子：同一种子、同一数据库得到同样的数据")
        generate.add_argument("--batch-size", type=int, default=2000, help="每批写入多少份申请（每批一个事务）")
        generate.add_argument("--workers", type=int, default=None, help="写入进程数（默认：2 核以上为 2，否则 1）")

    def handle(self, *args, action, **options):
        # Every part of this command makes up people or resets demo passwords (the `admin`
        # account's among them): none of it may ever touch a production database.
        self._refuse_in_production()
        if action == "load":
            result = demo_load(with_samples=not options["no_samples"])
            self.stdout.write(
                _("演示数据已载入：项目 %(code)s，新建示例申请 %(count)d 份。")
                % {"code": result["programme"].code, "count": result["samples_created"]}
            )
        elif action == "generate":
            self._generate(options)
        elif action == "logins":
            from django.conf import settings

            from jiedao.ops.demo import load_staff

            for username, password in load_staff().items():
                self.stdout.write(f"{username} / {password}")
            if not settings.PRODUCTION:
                self.stdout.write(_("登录时还要输入验证码：另开一个终端运行 jiedao demo code <用户名>（例如 jiedao demo code reviewer）。"))
        elif action == "code":
            self._code(options["username"])

    def _refuse_in_production(self):
        from django.conf import settings
        from django.core.management.base import CommandError

        if settings.PRODUCTION:
            raise CommandError(_("这是演示用的命令，生产环境（JIEDAO_ENV=production）不能使用。"))

    def _code(self, username):
        from django.core.management.base import CommandError
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from jiedao.ops.demo import demo_totp_code

        self._refuse_in_production()
        try:
            code, remaining = demo_totp_code(username)
        except TOTPDevice.DoesNotExist:
            raise CommandError(
                _("%(username)s 没有演示验证器：先运行 jiedao demo load，或该账号已自己设置了验证器。") % {"username": username}
            ) from None
        self.stdout.write(_("%(code)s（还有 %(seconds)d 秒有效；每个验证码只能用一次）") % {"code": code, "seconds": remaining})

    def _generate(self, options):
        import time

        from django.core.management.base import CommandError

        from jiedao.ops.generate import (
            default_workers,
            generate_applications,
            programme_for_generation,
        )

        if options["applications"] < 1:
            raise CommandError("--applications 至少为 1")
        try:
            programme = programme_for_generation(options["programme"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        shown = {"at": 0.0}

        def progress(done, total, seconds):
            if done == total or seconds - shown["at"] >= 5:  # a line every 5 s at most
                shown["at"] = seconds
                self.stdout.write(f"  {done:,}/{total:,}  {seconds:.0f} s  {done / seconds:,.0f} 份/秒", ending="\n")
                self.stdout.flush()

        workers = options["workers"] or default_workers()
        started = time.perf_counter()
        try:
            result = generate_applications(
                programme=programme,
                count=options["applications"],
                seed=options["seed"],
                batch_size=options["batch_size"],
                workers=workers,
                progress=progress,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"已生成 {result.count:,} 份申请（{result.first_reference} … {result.last_reference}），"
            f"用时 {seconds:.1f} 秒，每秒 {result.count / seconds:,.0f} 份"
            f"（写入申请 {result.rows_seconds:.1f} 秒，重算统计 {result.seconds - result.rows_seconds:.1f} 秒；"
            f"{workers} 个写入进程）。"
        )
