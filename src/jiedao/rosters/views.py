"""Duty roster pages: a volunteer's own page from their link (shifts, swaps, calendar), check-in at
the post, and the committee's coverage board, posts, volunteers and hours. Thin: the rules are
``services``' and the figures ``selectors``'."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiedao.core import staff
from jiedao.core.audit import audit_record, client_ip
from jiedao.core.models import AuditAction, Neighbourhood, Role
from jiedao.core.staff import in_scope, neighbourhood_ids, staff_context, staff_required
from jiedao.lib.errors import DomainError, ValidationFailed
from jiedao.lib.excel import write_workbook
from jiedao.lib.http import no_store
from jiedao.lib.links import qr_svg

from . import selectors, services
from .forms import GenerateForm, PhoneForm, PostForm, VolunteerForm
from .models import Assignment, Post, Shift, Volunteer

ORGANISERS = frozenset({Role.WORKER, Role.REVIEWER, Role.ADMIN})


# --- volunteers ----------------------------------------------------------------------------------


def volunteer_page(request, token):
    volunteer = services.volunteer_for_token(token)
    if volunteer is None:
        raise Http404
    if request.method == "POST":
        action, target = request.POST.get("action", ""), request.POST.get("id") or 0
        try:
            if action == "take":
                shift = get_object_or_404(Shift, pk=target)
                services.shift_take(shift=shift, volunteer=volunteer)
                messages.success(request, _("已认领这个班次。"))
            elif action in ("leave", "offer"):
                assignment = get_object_or_404(Assignment.objects.select_related("shift"), pk=target, volunteer=volunteer)
                if action == "leave":
                    services.shift_leave(assignment=assignment)
                    messages.success(request, _("已退出这个班次。"))
                else:
                    services.swap_offer(assignment=assignment)
                    messages.success(request, _("已发布换班，有人接替之前这个班次还是您的。"))
            elif action == "swap":
                assignment = get_object_or_404(Assignment, pk=target)
                services.swap_take(assignment=assignment, volunteer=volunteer)
                messages.success(request, _("已接替这个班次。"))
        except DomainError as error:
            messages.error(request, error.message)
        return redirect("rosters:volunteer", token=token)
    return no_store(
        render(
            request,
            "rosters/volunteer.html",
            {
                "volunteer": volunteer,
                "mine": selectors.volunteer_shifts(volunteer),
                "swaps": selectors.offered_swaps(volunteer),
                "open": selectors.open_shifts(volunteer),
                "calendar_url": request.build_absolute_uri(reverse("rosters:calendar", args=[token])),
            },
        )
    )


def calendar(request, token):
    volunteer = services.volunteer_for_token(token)
    if volunteer is None:
        raise Http404
    response = HttpResponse(selectors.calendar_feed(volunteer, host=request.get_host()), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="jiedao-roster.ics"'
    return no_store(response)


def post_checkin(request, post_code, day_code):
    post = get_object_or_404(Post, code=post_code)
    form = PhoneForm(request.POST or None)
    done = None
    if request.method == "POST" and form.is_valid():
        try:
            done = services.post_check(post=post, code=day_code, phone=form.cleaned_data["phone"])
        except DomainError as error:
            form.add_error(None, error.message)
    return no_store(render(request, "rosters/checkin.html", {"post": post, "form": form, "done": done}))


# --- staff ---------------------------------------------------------------------------------------


def _posts(user):
    return in_scope(Post.objects.filter(active=True).select_related("neighbourhood"), user)


def _neighbourhoods(user):
    scope = neighbourhood_ids(user)
    neighbourhoods = Neighbourhood.objects.filter(active=True)
    return neighbourhoods if scope is None else neighbourhoods.filter(id__in=scope)


def _organiser_or_404(user):
    if staff.staff_role(user) not in ORGANISERS:
        raise Http404


@staff_required
def board(request):
    return no_store(
        render(
            request,
            "rosters/board.html",
            {"days": selectors.coverage_board(_posts(request.user)), "may_organise": staff.staff_role(request.user) in ORGANISERS, **staff_context(request)},
        )
    )


@staff_required
@require_POST
def staff_check(request, assignment_id):
    """A committee worker checks a volunteer without a smartphone in (or out)."""
    _organiser_or_404(request.user)
    assignment = get_object_or_404(
        Assignment.objects.filter(shift__post__in=_posts(request.user), cancelled_at__isnull=True), pk=assignment_id
    )
    direction = services.assignment_check(assignment=assignment)
    audit_record(actor=request.user, action=services.AUDIT_CHECK, reference=f"S{assignment.shift_id}", ip=client_ip(request), direction=direction)
    return redirect(f"{reverse('rosters_staff:board')}#shift-{assignment.shift_id}")


@staff_required
@require_POST
def staff_cancel_shift(request, shift_id):
    _organiser_or_404(request.user)
    shift = get_object_or_404(Shift.objects.filter(post__in=_posts(request.user)), pk=shift_id)
    services.shift_cancel(shift=shift, actor=request.user, ip=client_ip(request))
    messages.success(request, _("班次已取消，排了这个班的志愿者会收到短信。"))
    return redirect("rosters_staff:board")


@staff_required
def posts(request):
    _organiser_or_404(request.user)
    neighbourhoods = _neighbourhoods(request.user)
    form = PostForm(request.POST or None, neighbourhoods=neighbourhoods, prefix="post")
    if request.method == "POST" and form.is_valid():
        post = form.save()
        messages.success(request, _("岗点“%(name)s”已添加，请为它生成班次。") % {"name": post.name})
        return redirect("rosters_staff:post", code=post.code)
    return no_store(render(request, "rosters/posts.html", {"posts": _posts(request.user), "form": form, **staff_context(request)}))


@staff_required
def post_detail(request, code):
    _organiser_or_404(request.user)
    post = get_object_or_404(_posts(request.user), code=code)
    form = GenerateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            made = services.shifts_generate(
                post=post, first_day=data["first_day"], last_day=data["last_day"], starts=data["starts"],
                ends=data["ends"], days=data["days"], skip=data["skip"],
            )  # fmt: skip
        except ValidationFailed as failed:
            for field, errors in failed.errors.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("已生成 %(count)s 个班次。") % {"count": made})
            return redirect("rosters_staff:post", code=code)
    today = timezone.localdate()
    checkin_url = request.build_absolute_uri(reverse("rosters:checkin", args=[post.code, services.post_code(post, today)]))
    upcoming = selectors.shifts_with_counts(post.shifts.filter(starts_at__gte=timezone.now(), cancelled_at__isnull=True))[:14]
    return no_store(
        render(
            request,
            "rosters/post.html",
            {"post": post, "form": form, "upcoming": upcoming, "checkin_url": checkin_url,
             "checkin_qr": mark_safe(qr_svg(checkin_url)), **staff_context(request)},
        )  # fmt: skip
    )


@staff_required
def volunteers(request):
    _organiser_or_404(request.user)
    form = VolunteerForm(request.POST or None, neighbourhoods=_neighbourhoods(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            volunteer = services.volunteer_register(**form.cleaned_data)
        except ValidationFailed as failed:
            for field, errors in failed.errors.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("已登记%(name)s，短信已发出。") % {"name": volunteer.name})
            return redirect("rosters_staff:volunteers")
    listed = in_scope(Volunteer.objects.select_related("neighbourhood"), request.user)
    month = timezone.localdate()
    return no_store(
        render(
            request,
            "rosters/volunteers.html",
            {"form": form, "rows": selectors.hours_served(listed, month), "month": month, **staff_context(request)},
        )
    )


@staff_required
def hours_export(request):
    """Hours served per volunteer in a month (party-member records), as Excel; phones masked."""
    try:
        month = dt.date.fromisoformat((request.GET.get("month") or "") + "-01")
    except ValueError:
        month = timezone.localdate()
    listed = in_scope(Volunteer.objects.select_related("neighbourhood"), request.user)
    headers = [_("姓名"), _("居民区"), _("党员"), _("手机号码"), _("到岗班次"), _("值守小时")]
    rows = [
        [row.volunteer.name, row.volunteer.neighbourhood.name, _("是") if row.volunteer.party_member else "",
         row.volunteer.masked_phone, row.shifts, row.hours]
        for row in selectors.hours_served(listed, month)
    ]  # fmt: skip
    audit_record(actor=request.user, action=AuditAction.EXPORT, ip=client_ip(request), what="roster_hours", month=f"{month:%Y-%m}")
    workbook = write_workbook([(f"{month:%Y-%m}", headers, rows)])
    return no_store(
        FileResponse(
            workbook, as_attachment=True, filename=f"jiedao-roster-hours-{month:%Y-%m}.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )  # fmt: skip
    )
