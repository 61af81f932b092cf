"""Activity pages: the public sign-up (no account), a person's own sign-up from the link in their
SMS, check-in at the venue and the poster; the organiser's list, new activity, attendance list
and export. Thin: the rules are ``services``' and the figures ``selectors``'."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404
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
from jiedao.lib.http import no_store
from jiedao.lib.links import qr_svg

from . import selectors, services
from .forms import ActivityForm, CheckinForm, GroupFormSet, SignupForm
from .models import Activity, SignupStatus

ORGANISERS = frozenset({Role.WORKER, Role.REVIEWER, Role.ADMIN})


def _add_errors(form, failed: ValidationFailed) -> None:
    for field, errors in failed.errors.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


# --- public --------------------------------------------------------------------------------------


def _public_activity(code: str) -> Activity:
    activity = selectors.activity_public(code)
    if activity is None:
        raise Http404
    return activity


def public_list(request):
    return render(request, "activities/list.html", {"activities": selectors.open_activities()})


def public_detail(request, code):
    activity = _public_activity(code)
    form = SignupForm(request.POST if request.method == "POST" else None, activity=activity)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                signup = services.signup_create(
                    activity=activity,
                    name=form.cleaned_data["name"],
                    phone=form.cleaned_data["phone"],
                    unit=form.cleaned_data.get("unit", ""),
                    group=form.chosen_group(),
                    donor=form.donor_answers(),
                    sensitive_consent=form.cleaned_data.get("sensitive_consent", False),
                )
            except services.AlreadySignedUp:
                # The sign-up itself stays with its owner's phone: whoever typed the number is only
                # told that it is taken, and where the link went.
                form.add_error("phone", _("这个手机号码已经报过名了。报名短信里有查看和取消的链接。"))
                status = 409
            except services.ActivityClosed as closed:
                form.add_error(None, closed.message)
                status = 409
            except ValidationFailed as failed:
                _add_errors(form, failed)
            else:
                return redirect("activities:signup", token=signup.token)
        if status == 200:
            status = 400
    counts = selectors.activity_counts(activity)
    return render(
        request,
        "activities/detail.html",
        {"activity": activity, "form": form, "counts": counts, "open": activity.is_open()},
        status=status if request.method == "POST" else 200,
    )


def signup_page(request, token):
    """A person's own sign-up, from the link in their SMS: its state, change group, cancel."""
    signup = services.signup_for_token(token)
    if signup is None:
        raise Http404
    if request.method == "POST":
        try:
            if request.POST.get("action") == "cancel":
                services.signup_cancel(signup=signup)
                messages.success(request, _("已取消报名。"))
            elif request.POST.get("action") == "group":
                group = signup.activity.groups.filter(pk=request.POST.get("group") or 0).first()
                services.signup_change_group(signup=signup, group=group)
                messages.success(request, _("已换到“%(group)s”。") % {"group": group.name if group else ""})
        except DomainError as error:
            messages.error(request, error.message)
        return redirect("activities:signup", token=token)
    position = services.waitlist_position(signup) if signup.status == SignupStatus.WAITLISTED else None
    return no_store(
        render(request, "activities/signup.html", {"signup": signup, "activity": signup.activity, "position": position})
    )


def checkin_page(request, code, day_code):
    activity = _public_activity(code)
    form = CheckinForm(request.POST or None)
    arrival = None
    if request.method == "POST" and form.is_valid():
        try:
            arrival = services.checkin(activity=activity, code=day_code, phone=form.cleaned_data["phone"])
        except services.CheckinRefused as refused:
            form.add_error(None, refused.message)
    return no_store(render(request, "activities/checkin.html", {"activity": activity, "form": form, "arrival": arrival}))


def poster(request, code):
    """A printable A4 poster with the QR code of the sign-up page."""
    activity = get_object_or_404(Activity, code=code)
    url = request.build_absolute_uri(reverse("activities:detail", args=[activity.code]))
    return render(request, "activities/poster.html", {"activity": activity, "url": url, "qr": mark_safe(qr_svg(url))})


# --- staff ---------------------------------------------------------------------------------------


def _activity_for_staff(user, code) -> Activity:
    activity = in_scope(Activity.objects.select_related("neighbourhood"), user).filter(code=code).first()
    if activity is None:
        raise Http404
    return activity


@staff_required
def staff_list(request):
    activities = in_scope(Activity.objects.select_related("neighbourhood"), request.user)
    return no_store(
        render(
            request,
            "activities/staff_list.html",
            {
                "rows": selectors.activity_rows(activities),
                "months": selectors.monthly_totals(activities),
                "may_organise": staff.staff_role(request.user) in ORGANISERS,
                **staff_context(request),
            },
        )
    )


@staff_required
def staff_new(request):
    role = staff.staff_role(request.user)
    if role not in ORGANISERS:
        raise Http404
    scope = neighbourhood_ids(request.user)
    neighbourhoods = Neighbourhood.objects.filter(active=True)
    if scope is not None:
        neighbourhoods = neighbourhoods.filter(id__in=scope)
    options = {"neighbourhoods": neighbourhoods, "may_organise_subdistrict": scope is None}
    form = ActivityForm(request.POST or None, **options)
    groups = GroupFormSet(request.POST or None, prefix="groups")
    if request.method == "POST" and form.is_valid() and groups.is_valid():
        try:
            activity = services.activity_create(
                actor=request.user,
                fields=form.cleaned_data,
                groups=[g.cleaned_data for g in groups if g.cleaned_data.get("name")],
                ip=client_ip(request),
            )
        except ValidationFailed as failed:
            _add_errors(form, failed)
        else:
            messages.success(request, _("活动已创建。"))
            return redirect("activities_staff:detail", code=activity.code)
    return no_store(
        render(request, "activities/staff_new.html", {"form": form, "groups": groups, **staff_context(request)})
    )


@staff_required
def staff_detail(request, code):
    activity = _activity_for_staff(request.user, code)
    today = timezone.localdate()
    checkin_url = request.build_absolute_uri(
        reverse("activities:checkin", args=[activity.code, services.checkin_code(activity, today)])
    )
    return no_store(
        render(
            request,
            "activities/staff_detail.html",
            {
                "activity": activity,
                "counts": selectors.activity_counts(activity),
                "by_group": selectors.group_counts(activity),
                "signups": activity.signups.exclude(status=SignupStatus.CANCELLED).select_related("group"),
                "may_organise": staff.staff_role(request.user) in ORGANISERS,
                "checkin_url": checkin_url,
                "checkin_qr": mark_safe(qr_svg(checkin_url)),
                "sms_texts": selectors.sms_previews(activity),
                **staff_context(request),
            },
        )
    )


@staff_required
@require_POST
def staff_attendance(request, code, signup_id):
    activity = _activity_for_staff(request.user, code)
    if staff.staff_role(request.user) not in ORGANISERS:
        raise Http404
    signup = get_object_or_404(activity.signups, pk=signup_id)
    try:
        services.attendance_set(
            signup=signup, present=request.POST.get("present") == "1", actor=request.user, ip=client_ip(request)
        )
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(f"{reverse('activities_staff:detail', args=[code])}#signup-{signup.pk}")


@staff_required
@require_POST
def staff_cancel(request, code):
    activity = _activity_for_staff(request.user, code)
    if staff.staff_role(request.user) not in ORGANISERS:
        raise Http404
    services.activity_cancel(activity=activity, actor=request.user, ip=client_ip(request))
    messages.success(request, _("活动已取消，已报名的人会收到短信。"))
    return redirect("activities_staff:detail", code=code)


@staff_required
def staff_export(request, code):
    activity = _activity_for_staff(request.user, code)
    workbook = selectors.signups_workbook(activity)
    audit_record(actor=request.user, action=AuditAction.EXPORT, reference=activity.code, ip=client_ip(request), what="signups")
    return no_store(
        FileResponse(
            workbook,
            as_attachment=True,
            filename=f"jiedao-activity-{activity.code}.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    )
