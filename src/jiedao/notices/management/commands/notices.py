"""`jiedao notices work [--once] [--batch N]` (the sending worker) and `jiedao notices list`."""

import json
import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from jiedao.notices import worker
from jiedao.notices.models import Notice


class Command(BaseCommand):
    help = _("短信通知：jiedao notices work 发送待发的短信；jiedao notices list 查看短信。")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        work = sub.add_parser("work", help=_("发送待发的短信，直到收到停止信号（SIGTERM 或 Ctrl-C）"))
        work.add_argument("--once", action="store_true", help=_("只把现在到期的短信发完就退出"))
        work.add_argument("--batch", type=int, default=None, help=_("每批领取的短信条数"))
        listing = sub.add_parser("list", help=_("列出短信（手机号码部分隐藏）"))
        listing.add_argument("--reference", help=_("只看这个受理编号的短信"))
        listing.add_argument("--json", action="store_true", help=_("以 JSON 输出"))

    def handle(self, *args, action, **options):
        if action == "work":
            self._work(once=options["once"], batch=options["batch"])
        elif action == "list":
            self._list(reference=options.get("reference"), as_json=options["json"])

    def _work(self, *, once: bool, batch: int | None):
        if batch is not None and batch < 1:
            raise CommandError(_("--batch 必须大于 0。"))
        if once:
            counts = worker.drain(batch=batch)
            self.stdout.write(json.dumps(counts, ensure_ascii=False, sort_keys=True))
            return
        stop = threading.Event()

        def request_stop(signum, frame):
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        worker.loop(stop=stop, batch=batch)

    def _list(self, *, reference: str | None, as_json: bool):
        notices = Notice.objects.select_related("application").order_by("created_at", "id")
        if reference:
            notices = notices.filter(application__reference=reference.strip().upper())
        rows = [
            {
                "id": str(notice.pk),
                "reference": notice.about,
                "phone": notice.masked_phone,
                "recipient": notice.recipient,
                "event": notice.event,
                "template_code": notice.template_code,
                "text": notice.text,
                "status": notice.status,
                "attempts": notice.attempts,
                "last_error": notice.last_error,
                "created_at": timezone.localtime(notice.created_at).isoformat(),
            }
            for notice in notices
        ]
        if as_json:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for row in rows:
            status = str(Notice(status=row["status"]).get_status_display())
            self.stdout.write(
                f"{row['reference']}  {row['phone']}  {row['template_code']}  {status}  "
                + _("发送%(attempts)d次") % {"attempts": row["attempts"]}
            )
            self.stdout.write(f"    {row['text']}")
            if row["last_error"]:
                self.stdout.write(f"    ! {row['last_error']}")
        if not rows:
            self.stdout.write(_("没有短信。"))
