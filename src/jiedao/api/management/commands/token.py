"""`jiedao token create --name NAME --role partner|reviewer [--webhook-url URL]`, `list`, `revoke`."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_slug
from django.utils.translation import gettext as _

from jiedao.api.models import ApiToken, TokenRole
from jiedao.api.services import token_issue, token_revoke
from jiedao.lib.errors import ValidationFailed


class Command(BaseCommand):
    help = _("接口令牌：jiedao token create 新建（令牌只显示一次）；list 列出；revoke 停用。")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help=_("新建令牌，只显示这一次"))
        create.add_argument("--name", required=True, help=_("名称，例如 yiwangtongban"))
        create.add_argument("--role", required=True, choices=TokenRole.values)
        create.add_argument("--webhook-url", default="", help=_("状态变化通知地址（只对合作平台令牌有效）"))
        sub.add_parser("list", help=_("列出令牌（不显示密钥）"))
        revoke = sub.add_parser("revoke", help=_("停用令牌"))
        revoke.add_argument("--name", required=True)

    def handle(self, *args, action, **options):
        if action == "create":
            name = options["name"].strip()
            try:
                validate_slug(name)
            except ValidationError:
                raise CommandError(_("名称只能用英文字母、数字、下划线和连字符。")) from None
            if ApiToken.objects.filter(name=name).exists():
                raise CommandError(_("已经有叫这个名称的令牌了。"))
            try:
                raw = token_issue(ApiToken(name=name, role=options["role"], webhook_url=options["webhook_url"]))
            except ValidationFailed as error:
                raise CommandError(error.message) from None
            self.stdout.write(raw)
        elif action == "list":
            for token in ApiToken.objects.all():
                state = _("已停用") if token.revoked_at else _("有效")
                self.stdout.write(f"{token.name}\t{token.role}\t{token.prefix}…\t{state}\t{token.webhook_url}")
        elif action == "revoke":
            token = ApiToken.objects.filter(name=options["name"].strip()).first()
            if token is None:
                raise CommandError(_("没有这个令牌。"))
            token_revoke(token)
            self.stdout.write(_("已停用。"))
