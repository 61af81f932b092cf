"""Site register pages: the gate on a phone (with its offline sync endpoint), the crew's
registration (by the manager at the gate phone, or by each worker from the manager's link), the
worker's own pass, the public page and the printable notice; the committee's back office.
Thin: the rules are ``services``' and the figures ``selectors``'.

The gate phone is opened once with the site's code and its 8-digit gate PIN (the committee gives
it to the gatekeeper or the site manager): a signed cookie then names the site for 30 days, and
changing the PIN closes every gate phone of the site.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiedao.core import staff
from jiedao.core.audit import audit_record, client_ip
from jiedao.core.models import AuditAction, Neighbourhood, Role, StaffProfile
from jiedao.core.staff import neighbourhood_ids, staff_context, staff_required
from jiedao.lib.errors import DomainError, ValidationFailed
from jiedao.lib.http import no_store
from jiedao.lib.links import qr_svg
from jiedao.lib.ratelimit import Limit, Rate, address_key, client_address, hashed, rate_limit_count, rate_limit_peek

from . import selectors, services
from .forms import CommitmentForm, GateEntryForm, GateOpenForm, PassApproveForm, RefusalCloseForm, SiteForm, StatusForm, WorkerForm
from .models import Commitment, PassStatus, Refusal, Site, SitePass, SiteStatus, Source

GATE_COOKIE = "jiedao_gate"
GATE_SALT = "jiedao.sites.gate"
GATE_MAX_AGE = 30 * 24 * 3600
SYNC_MAX_ENTRIES = 200


def _add_errors(form, failed: ValidationFailed) -> None:
    for field, errors in failed.errors.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


# --- the gate phone ------------------------------------------------------------------------------


_pin_mark = services.gate_pin_mark


def gate_site(request) -> Site | None:
    """The site this phone was opened for, while its PIN is unchanged."""
    try:
        value = request.get_signed_cookie(GATE_COOKIE, salt=GATE_SALT, max_age=GATE_MAX_AGE)
        site_id, mark = value.split(":", 1)
        site = Site.objects.select_related("neighbourhood").get(pk=int(site_id))
    except (KeyError, ValueError, Site.DoesNotExist):
        return None
    except Exception:  # a tampered or expired cookie
        return None
    return site if hmac.compare_digest(mark, _pin_mark(site)) and site.status != SiteStatus.FINISHED else None


def _entry_form(data=None):
    return GateEntryForm(data, initial={"key": uuid.uuid4()})


def gate(request):
    site = gate_site(request)
    if site is None:
        return _gate_open(request)
    answer = None
    form = _entry_form()
    status = 200
    if request.method == "POST":
        form = GateEntryForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                answer = services.gate_entry_record(
                    site=site, key=data["key"], pass_text=data["pass_text"], direction=data["direction"],
                    temperature=data["temperature"], health_code=data["health_code"], source=Source.PAGE,
                    actor=request.user,
                )  # fmt: skip
            except ValidationFailed as failed:
                _add_errors(form, failed)
                status = 400
            except DomainError as error:
                form.add_error(None, error.message)
                status = 409
            else:
                form = _entry_form()
        else:
            status = 400
    today = timezone.localdate()
    return no_store(
        render(
            request,
            "sites/gate.html",
            {
                "site": site,
                "form": form,
                "answer": answer,
                "figures": selectors.day_figures(site, today),
                "recent": selectors.day_entries(site, today).select_related("site_pass", "worker").order_by("-at", "-id")[:8],
                "fever": settings.JIEDAO_SITES_FEVER_C,
            },
            status=status,
        )
    )


# Wrong gate PINs from one address, and for one site, before the gate form pauses (an 8-digit PIN
# must not be guessable by trying).
GATE_PIN_ADDRESS_RATES = Rate.parse("600:10,86400:50")
GATE_PIN_SITE_RATES = Rate.parse("3600:30")


def _gate_open(request):
    form = GateOpenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["site"].strip().lower()
        limits = (
            Limit(f"sites-gate-pin:{address_key(client_address(request))}", GATE_PIN_ADDRESS_RATES),
            Limit(f"sites-gate-pin:site:{hashed(code)}", GATE_PIN_SITE_RATES),
        )
        site = Site.objects.filter(code=code).first()
        pin = "".join(ch for ch in form.cleaned_data["pin"] if ch.isdigit())
        decision = rate_limit_peek(*limits)
        if not decision.allowed:
            form.add_error(None, _("口令输错次数太多，请%(minutes)d分钟后再试，或联系居委会。") % {"minutes": decision.retry_minutes})
        elif site is None or not hmac.compare_digest(pin, site.gate_pin):
            rate_limit_count(*limits)
            form.add_error(None, _("工地代码或门岗口令不对，请向居委会核对。"))
        elif site.status == SiteStatus.FINISHED:
            form.add_error(None, _("这个工程已经完工，门岗登记已关闭。"))
        else:
            response = redirect("sites:gate")
            response.set_signed_cookie(
                GATE_COOKIE, f"{site.pk}:{_pin_mark(site)}", salt=GATE_SALT, max_age=GATE_MAX_AGE, httponly=True,
                secure=request.is_secure(), samesite="Lax",
            )  # fmt: skip
            return response
    return no_store(render(request, "sites/gate_open.html", {"form": form}, status=400 if form.errors else 200))


@require_POST
def gate_close(request):
    response = redirect("sites:gate")
    response.delete_cookie(GATE_COOKIE)
    return response


def gate_sync(request):
    """The gate page's script sends what it recorded (at once, or later from an offline phone):
    ``{"entries": [{key, pass, temperature, health_code, direction, phone_at, elapsed_s}]}``.
    Each entry gets its own answer; an entry sent again gets its first answer."""
    if request.method != "POST":
        raise Http404
    site = gate_site(request)
    if site is None:
        return JsonResponse({"code": "gate_closed", "message": _("门岗还没有打开或口令已更换，请重新输入门岗口令。")}, status=403)
    try:
        entries = json.loads(request.body or b"{}").get("entries")
        if not isinstance(entries, list) or len(entries) > SYNC_MAX_ENTRIES:
            raise ValueError
    except (ValueError, AttributeError):
        return JsonResponse({"code": "unreadable", "message": _("请求内容无法读取。")}, status=400)
    return JsonResponse({"results": [services.gate_record_one(site, item, source=None, actor=request.user) for item in entries]})


def gate_crew(request):
    """The site manager's phone (the gate opened with the PIN): register a worker here, who signs
    the commitment on this phone, or send the crew the link to register themselves."""
    site = gate_site(request)
    if site is None:
        return redirect("sites:gate")
    form, worker = _register(request, site, registered_by="manager")
    if worker is not None:
        messages.success(request, _("已登记，出入证等居委会批准后短信通知本人。"))
        return redirect("sites:gate_crew")
    return no_store(
        render(
            request,
            "sites/gate_crew.html",
            {
                "site": site,
                "form": form,
                "join_url": request.build_absolute_uri(reverse("sites:join", args=[site.join_token])),
                "crew": selectors.crew(site),
            },
            status=400 if form.errors else 200,
        )
    )


def _register(request, site, *, registered_by):
    form = WorkerForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = request.FILES.get("photo")
        try:
            worker = services.worker_register(
                site=site, name=data["name"], id_number=data["id_number"], phone=data["phone"], trade=data["trade"],
                health_code=data["health_code"], signature=data["signature"], registered_by=registered_by,
                photo=upload.read(services.PHOTO_MAX_BYTES + 1) if upload else None,
            )  # fmt: skip
        except ValidationFailed as failed:
            _add_errors(form, failed)
        else:
            return form, worker
    return form, None


def _photo_response(worker):
    from django.core.files.storage import default_storage

    if not worker.photo:
        raise Http404
    try:
        handle = default_storage.open(worker.photo, "rb")
    except OSError:
        raise Http404 from None
    return no_store(FileResponse(handle, content_type="image/jpeg"))


def gate_photo(request, worker_id):
    """The photo of a worker of this gate's site, for the gatekeeper to compare with the face."""
    site = gate_site(request)
    if site is None:
        raise Http404
    return _photo_response(get_object_or_404(site.workers, pk=worker_id))


def join(request, token):
    site = Site.objects.filter(join_token=token).first()
    if site is None or site.status == SiteStatus.FINISHED:
        raise Http404
    form, worker = _register(request, site, registered_by="self")
    done = worker is not None
    return no_store(
        render(request, "sites/join.html", {"site": site, "form": form, "done": done}, status=400 if form.errors else 200)
    )


def pass_page(request, token):
    site_pass = SitePass.objects.select_related("site", "worker").filter(token=token).first()
    if site_pass is None:
        raise Http404
    today = timezone.localdate()
    valid = site_pass.status == PassStatus.APPROVED and site_pass.valid_from <= today <= site_pass.valid_until
    return no_store(
        render(
            request,
            "sites/pass.html",
            {
                "site_pass": site_pass,
                "site": site_pass.site,
                "valid": valid,
                "expired": today > site_pass.valid_until,
                "qr": mark_safe(qr_svg(services.pass_token(site_pass))) if valid else "",
            },
        )
    )


def public_site(request, code):
    site = get_object_or_404(Site.objects.select_related("neighbourhood"), code=code)
    return render(request, "sites/site.html", {"site": site, "commitments": site.commitments.all()})


def notice(request, code):
    """The A4 notice posted in the compound (公示): the rules, and a QR code to the public page."""
    site = get_object_or_404(Site.objects.select_related("neighbourhood"), code=code)
    url = request.build_absolute_uri(reverse("sites:site", args=[site.code]))
    return render(request, "sites/notice.html", {"site": site, "url": url, "qr": mark_safe(qr_svg(url)), "commitments": site.commitments.all()})


# --- staff ---------------------------------------------------------------------------------------

MANAGERS = frozenset({Role.WORKER, Role.REVIEWER, Role.ADMIN})


def _manage_or_404(request, site):
    if not selectors.may_manage(request.user, site):
        raise Http404


def _day(request) -> dt.date:
    try:
        return dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return timezone.localdate()


def _people_viewed(request, site, what: str) -> None:
    audit_record(actor=request.user, action=services.AUDIT_VIEW_PEOPLE, reference=site.code, ip=client_ip(request), what=what)


@staff_required
def staff_list(request):
    today = timezone.localdate()
    sites = list(selectors.sites_for_staff(request.user))
    rows = [(site, selectors.day_figures(site, today), selectors.open_refusals(site).count()) for site in sites]
    return no_store(
        render(
            request,
            "sites/staff_list.html",
            {"rows": rows, "may_create": staff.staff_role(request.user) in MANAGERS, **staff_context(request)},
        )
    )


@staff_required
def staff_new(request):
    if staff.staff_role(request.user) not in MANAGERS:
        raise Http404
    scope = neighbourhood_ids(request.user)
    neighbourhoods = Neighbourhood.objects.filter(active=True)
    if scope is not None:
        neighbourhoods = neighbourhoods.filter(id__in=scope)
    workers = get_user_model().objects.filter(
        is_active=True, staff_profile__role=Role.WORKER, staff_profile__in=StaffProfile.objects.all()
    ).distinct()
    form = SiteForm(request.POST or None, neighbourhoods=neighbourhoods, responsible_choices=workers,
                    initial={"responsible": request.user.pk if staff.staff_role(request.user) == Role.WORKER else None})  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            site = services.site_create(actor=request.user, fields=form.cleaned_data, ip=client_ip(request))
        except ValidationFailed as failed:
            _add_errors(form, failed)
        else:
            messages.success(request, _("工地已登记。"))
            return redirect("sites_staff:detail", code=site.code)
    return no_store(render(request, "sites/staff_new.html", {"form": form, **staff_context(request)}, status=400 if form.errors else 200))


@staff_required
def staff_detail(request, code):
    site = selectors.site_for_staff(request.user, code)
    today = timezone.localdate()
    may_manage = selectors.may_manage(request.user, site)
    return no_store(
        render(
            request,
            "sites/staff_detail.html",
            {
                "site": site,
                "today": selectors.day_figures(site, today),
                "week": selectors.week_figures(site, today),
                "open_refusals": selectors.open_refusals(site).count(),
                "may_manage": may_manage,
                "status_form": StatusForm(initial={"status": site.status}),
                "join_url": request.build_absolute_uri(reverse("sites:join", args=[site.join_token])),
                "gate_url": request.build_absolute_uri(reverse("sites:gate")),
                "device_key": services.device_key(site) if may_manage else "",
                "commitments": site.commitments.all(),
                **staff_context(request),
            },
        )
    )


@staff_required
@require_POST
def staff_status(request, code):
    site = selectors.site_for_staff(request.user, code)
    _manage_or_404(request, site)
    if request.POST.get("action") == "gate_pin":
        services.site_gate_pin_renew(site=site, actor=request.user, ip=client_ip(request))
        messages.success(request, _("门岗口令已更换，所有门岗手机和设备需要用新口令重新打开。"))
        return redirect("sites_staff:detail", code=code)
    form = StatusForm(request.POST)
    if form.is_valid():
        services.site_set_status(site=site, status=form.cleaned_data["status"], actor=request.user, ip=client_ip(request))
        messages.success(request, _("工地状态已更新。"))
    return redirect("sites_staff:detail", code=code)


@staff_required
def staff_crew(request, code):
    site = selectors.site_for_staff(request.user, code)
    may_see = selectors.may_see_people(request.user, site)
    if may_see:
        _people_viewed(request, site, "crew")
    today = timezone.localdate()
    return no_store(
        render(
            request,
            "sites/staff_crew.html",
            {
                "site": site,
                "crew": selectors.crew(site),
                "may_see_people": may_see,
                "may_manage": selectors.may_manage(request.user, site),
                "today": today,
                "default_until": today + dt.timedelta(days=29),
                "on_site": set(selectors.on_site_worker_ids(site, today)),
                "missed": set(selectors.missed_check_worker_ids(site, today)),
                **staff_context(request),
            },
        )
    )


@staff_required
def staff_worker_photo(request, code, worker_id):
    site = selectors.site_for_staff(request.user, code)
    if not selectors.may_see_people(request.user, site):
        raise Http404
    worker = get_object_or_404(site.workers, pk=worker_id)
    _people_viewed(request, site, f"photo #{worker.pk}")
    return _photo_response(worker)


@staff_required
def staff_entries(request, code):
    site = selectors.site_for_staff(request.user, code)
    day = _day(request)
    may_see = selectors.may_see_people(request.user, site)
    if may_see:
        _people_viewed(request, site, f"entries {day.isoformat()}")
    entries = selectors.day_entries(site, day).select_related("worker", "site_pass").order_by("at", "id")
    return no_store(
        render(
            request,
            "sites/staff_entries.html",
            {
                "site": site,
                "day": day,
                "figures": selectors.day_figures(site, day),
                "entries": entries,
                "may_see_people": may_see,
                "on_site": selectors.workers_by_ids(site, selectors.on_site_worker_ids(site, day)) if may_see else None,
                "missed": selectors.workers_by_ids(site, selectors.missed_check_worker_ids(site, day)) if may_see else None,
                "previous_day": day - dt.timedelta(days=1),
                "next_day": day + dt.timedelta(days=1) if day < timezone.localdate() else None,
                **staff_context(request),
            },
        )
    )


@staff_required
def staff_export(request, code):
    site = selectors.site_for_staff(request.user, code)
    may_see = selectors.may_see_people(request.user, site)
    workbook = selectors.site_workbook(site, timezone.localdate(), may_see_people=may_see)
    audit_record(actor=request.user, action=AuditAction.EXPORT, reference=site.code, ip=client_ip(request),
                 what="site_entries", names=may_see)  # fmt: skip
    return no_store(
        FileResponse(
            workbook, as_attachment=True, filename=f"jiedao-site-{site.code}.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )  # fmt: skip
    )


@staff_required
def staff_refusals(request, code):
    site = selectors.site_for_staff(request.user, code)
    may_see = selectors.may_see_people(request.user, site)
    if may_see:
        _people_viewed(request, site, "refusals")
    refusals = Refusal.objects.filter(site=site).select_related("entry", "entry__worker", "closed_by", "site")[:200]
    return no_store(
        render(
            request,
            "sites/staff_refusals.html",
            {"site": site, "refusals": refusals, "may_see_people": may_see, "may_manage": selectors.may_manage(request.user, site),
             "form": RefusalCloseForm(), **staff_context(request)},
        )
    )  # fmt: skip


@staff_required
@require_POST
def staff_refusal_close(request, code, refusal_id):
    site = selectors.site_for_staff(request.user, code)
    _manage_or_404(request, site)
    refusal = get_object_or_404(Refusal, site=site, pk=refusal_id)
    try:
        services.refusal_close(refusal=refusal, note=request.POST.get("note", ""), actor=request.user, ip=client_ip(request))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已关闭。"))
    return redirect("sites_staff:refusals", code=code)


@staff_required
@require_POST
def staff_pass_approve(request, code, pass_id):
    site = selectors.site_for_staff(request.user, code)
    _manage_or_404(request, site)
    site_pass = get_object_or_404(SitePass.objects.select_related("site"), site=site, pk=pass_id)
    form = PassApproveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写有效期的开始和结束日期。"))
    else:
        try:
            services.pass_approve(site_pass=site_pass, actor=request.user, ip=client_ip(request), **form.cleaned_data)
        except ValidationFailed as failed:
            messages.error(request, " ".join(str(m) for ms in failed.errors.values() for m in ms))
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("出入证已批准，已短信通知本人。"))
    return redirect(f"{reverse('sites_staff:crew', args=[code])}#worker-{site_pass.worker_id}")


@staff_required
@require_POST
def staff_pass_revoke(request, code, pass_id):
    site = selectors.site_for_staff(request.user, code)
    _manage_or_404(request, site)
    site_pass = get_object_or_404(SitePass.objects.select_related("site"), site=site, pk=pass_id)
    services.pass_revoke(site_pass=site_pass, actor=request.user, ip=client_ip(request))
    messages.success(request, _("出入证已收回，门岗扫码会立即拒绝。"))
    return redirect(f"{reverse('sites_staff:crew', args=[code])}#worker-{site_pass.worker_id}")


@staff_required
@require_POST
def staff_pass_renew(request, code, pass_id):
    site = selectors.site_for_staff(request.user, code)
    _manage_or_404(request, site)
    site_pass = get_object_or_404(SitePass.objects.select_related("site", "worker"), site=site, pk=pass_id)
    services.pass_renew(site_pass=site_pass)
    return redirect(f"{reverse('sites_staff:crew', args=[code])}#worker-{site_pass.worker_id}")


@staff_required
def staff_commitments(request, code):
    site = selectors.site_for_staff(request.user, code)
    may_manage = selectors.may_manage(request.user, site)
    form = CommitmentForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not may_manage:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.commitment_attach(
                    site=site, kind=data["kind"], signed_by=data["signed_by"], signed_on=data["signed_on"],
                    content=data["file"].read(services.COMMITMENT_MAX_BYTES + 1), actor=request.user, ip=client_ip(request),
                )  # fmt: skip
            except ValidationFailed as failed:
                _add_errors(form, failed)
            else:
                messages.success(request, _("承诺书已上传。"))
                return redirect("sites_staff:commitments", code=code)
    return no_store(
        render(
            request,
            "sites/staff_commitments.html",
            {"site": site, "form": form, "commitments": site.commitments.all(), "may_manage": may_manage, **staff_context(request)},
            status=400 if form.errors else 200,
        )
    )


@staff_required
def staff_commitment_file(request, code, commitment_id):
    site = selectors.site_for_staff(request.user, code)
    commitment = get_object_or_404(Commitment, site=site, pk=commitment_id)
    if not commitment.file:
        raise Http404
    try:
        handle = commitment.file.open("rb")
    except OSError:
        raise Http404 from None
    return no_store(FileResponse(handle, content_type=commitment.content_type or "application/octet-stream"))
