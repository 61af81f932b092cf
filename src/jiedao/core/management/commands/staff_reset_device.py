from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from jiedao.core.staff_auth import staff_device_reset


class Command(BaseCommand):
    # For the administrator who lost their own phone and so cannot reach the admin to do it there.
    help = _("重置工作人员的两步验证器并结束其全部登录会话；下次登录时重新扫码设置。")

    def add_arguments(self, parser):
        parser.add_argument("username", help=_("工作人员用户名"))

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("没有用户名为 %(username)s 的账号。") % {"username": username})
        removed = staff_device_reset(user=user, by=None)
        self.stdout.write(
            _("已为 %(username)s 删除 %(count)d 个验证器；下次登录时需要重新设置。") % {"username": username, "count": removed}
        )
