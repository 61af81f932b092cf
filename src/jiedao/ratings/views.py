"""Rating pages: the person's rating from the SMS link (长辈版, no JavaScript), the public monthly
summary; the staff dashboard, taking a rating face to face, a rectification's call and answer,
appeals and the export. Thin: the rules are ``services``', the figures ``selectors``'."""

from __future__ import annotations

from django.contrib import messages
from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiedao.core import staff
from jiedao.core.audit import audit_record, client_ip
from jiedao.core.models import AuditAction
from jiedao.core.staff import in_scope, staff_context, staff_required
from jiedao.lib.errors import DomainError, ValidationFailed
from jiedao.lib.http import no_store

from . import selectors, services
from .forms import AnswerForm, AppealDecisionForm, AppealForm, CallForm, RatingForm
from .models import BAD_LEVELS, Appeal, Invitation, Rating, Rectification


def _add_errors(form, failed: ValidationFailed) -> None:
    for field, errors in failed.errors.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


# --- public --------------------------------------------------------------------------------------


def public_summary(request):
    """The monthly results, as the rule asks them published (公开): counts and shares only."""
    return render(request, "ratings/summary.html", {"months": selectors.public_months()})


def rate(request, token):
    """The link in the SMS: the level, the five indicators and a comment, once per case."""
    try:
        invitation = services.invitation_for_token(token)
    except (services.LinkForged, services.LinkExpired, services.LinkUsed) as problem:
        status = {"rating_link_forged": 404, "rating_link_expired": 410, "rating_link_used": 409}[problem.code]
        return no_store(render(request, "ratings/link_problem.html", {"problem": problem}, status=status))
    form = RatingForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        form.is_valid()
        try:
            rating = services.rating_submit(
                token=token,
                level=form.data.get("level"),
                indicators=form.indicator_values(),
                comment=form.data.get("comment", ""),
            )
        except ValidationFailed as failed:
            _add_errors(form, failed)
        except (services.LinkUsed, services.LinkExpired) as problem:  # used or expired since the page was opened
            status = 410 if problem.code == "rating_link_expired" else 409
            return no_store(render(request, "ratings/link_problem.html", {"problem": problem}, status=status))
        else:
            return redirect(f"{reverse('ratings:thanks')}?bad={int(rating.level in BAD_LEVELS)}")
    return no_store(
        render(request, "ratings/rate.html", {"invitation": invitation, "form": form}, status=400 if form.errors else 200)
    )


def thanks(request):
    return render(
        request,
        "ratings/thanks.html",
        {"bad": request.GET.get("bad") == "1", "days": settings.JIEDAO_RATING_RECTIFY_WORKING_DAYS},
    )


# --- staff ---------------------------------------------------------------------------------------


@staff_required
def dashboard(request):
    return no_store(
        render(
            request,
            "ratings/staff_dashboard.html",
            {
                "board": selectors.dashboard(request.user),
                "may_take": staff.staff_role(request.user) in services.TAKERS,
                **staff_context(request),
            },
        )
    )


def _invitation_for_staff(user, pk) -> Invitation:
    invitation = in_scope(Invitation.objects.all(), user).filter(pk=pk).first()
    if invitation is None:
        raise Http404
    return invitation


@staff_required
def take(request, invitation_id):
    """At a home visit: the rating as the person gives it, recorded as 上门当面."""
    invitation = _invitation_for_staff(request.user, invitation_id)
    if staff.staff_role(request.user) not in services.TAKERS:
        raise Http404
    if hasattr(invitation, "rating"):
        messages.error(request, _("这件事已经评价过了，每件事只能评价一次。"))
        return redirect("ratings_staff:rating", pk=invitation.rating.pk)
    form = RatingForm(request.POST if request.method == "POST" else None, indicators_required=False)
    if request.method == "POST":
        form.is_valid()
        try:
            rating = services.rating_take_face_to_face(
                invitation=invitation,
                actor=request.user,
                level=form.data.get("level"),
                indicators=form.indicator_values(),
                comment=form.data.get("comment", ""),
                ip=client_ip(request),
            )
        except ValidationFailed as failed:
            _add_errors(form, failed)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("已记录当面评价。"))
            return redirect("ratings_staff:rating", pk=rating.pk)
    return no_store(
        render(request, "ratings/staff_take.html", {"invitation": invitation, "form": form, **staff_context(request)})
    )


def _rating_for_staff(user, pk) -> Rating:
    rating = (
        in_scope(Rating.objects.select_related("invitation", "taken_by"), user, "invitation__neighbourhood")
        .filter(pk=pk)
        .first()
    )
    if rating is None:
        raise Http404
    return rating


@staff_required
def rating_detail(request, pk):
    """A rating, its rectification (call, answer) and its appeals; the person's phone is shown
    to whoever must call back, and each view is in the audit trail."""
    rating = _rating_for_staff(request.user, pk)
    rectification = Rectification.objects.filter(rating=rating).select_related("owner", "answered_by").first()
    may_handle = rectification is not None and services.may_handle(request.user, rectification)
    call_form = CallForm(initial={"called_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")})
    answer_form = AnswerForm()
    appeal_form = AppealForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "call" and rectification is not None:
                call_form = CallForm(request.POST)
                if call_form.is_valid():
                    services.rectification_record_call(
                        rectification=rectification,
                        actor=request.user,
                        called_at=call_form.cleaned_data["called_at"],
                        outcome=call_form.cleaned_data["call_outcome"],
                        ip=client_ip(request),
                    )
                    messages.success(request, _("已记录回访。"))
                    return redirect("ratings_staff:rating", pk=pk)
            elif action == "answer" and rectification is not None:
                answer_form = AnswerForm(request.POST)
                if answer_form.is_valid():
                    services.rectification_answer(
                        rectification=rectification,
                        actor=request.user,
                        answer=answer_form.cleaned_data["answer"],
                        ip=client_ip(request),
                    )
                    messages.success(request, _("已答复，评价人会收到短信。"))
                    return redirect("ratings_staff:rating", pk=pk)
            elif action == "appeal":
                appeal_form = AppealForm(request.POST)
                if appeal_form.is_valid():
                    services.appeal_file(
                        rating=rating, actor=request.user, reason=appeal_form.cleaned_data["reason"], ip=client_ip(request)
                    )
                    messages.success(request, _("申诉已提交，等待审核人员或街道领导审核。"))
                    return redirect("ratings_staff:rating", pk=pk)
        except ValidationFailed as failed:
            target = {"call": call_form, "answer": answer_form, "appeal": appeal_form}.get(action)
            if target is not None:
                _add_errors(target, failed)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("ratings_staff:rating", pk=pk)
    audit_record(
        actor=request.user, action=AuditAction.VIEW_CASE, reference=rating.invitation.case_key, ip=client_ip(request),
        what="rating",
    )  # fmt: skip
    role = staff.staff_role(request.user)
    return no_store(
        render(
            request,
            "ratings/staff_rating.html",
            {
                "rating": rating,
                "invitation": rating.invitation,
                "rectification": rectification,
                "overdue": rectification is not None and rectification.is_overdue(timezone.localdate()),
                "may_handle": may_handle,
                "call_form": call_form,
                "answer_form": answer_form,
                "appeal_form": appeal_form,
                "may_appeal": role in services.TAKERS,
                "appeals": rating.appeals.select_related("filed_by", "decided_by"),
                "may_decide": role in services.APPEAL_DECIDERS,
                "decision_form": AppealDecisionForm(),
                **staff_context(request),
            },
        )
    )


@staff_required
@require_POST
def appeal_decide(request, pk):
    appeal = get_object_or_404(Appeal.objects.select_related("rating__invitation"), pk=pk)
    rating = _rating_for_staff(request.user, appeal.rating_id)
    form = AppealDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择审核结果。"))
        return redirect("ratings_staff:rating", pk=rating.pk)
    try:
        services.appeal_decide(
            appeal=appeal,
            actor=request.user,
            upheld=form.cleaned_data["upheld"] == "1",
            note=form.cleaned_data["decision_note"],
            ip=client_ip(request),
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("申诉已审核。"))
    return redirect("ratings_staff:rating", pk=rating.pk)


@staff_required
def export(request, fmt):
    month = request.GET.get("month", "")
    if month and not (len(month) == 7 and month[4] == "-" and month.replace("-", "").isdigit()):
        month = ""
    audit_record(actor=request.user, action=AuditAction.EXPORT, reference=month, ip=client_ip(request), what=f"ratings.{fmt}")
    if fmt not in ("json", "xlsx"):
        raise Http404
    if fmt == "json":
        response = HttpResponse(selectors.export_json(request.user, month=month), content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="jiedao-ratings.json"'
        return no_store(response)
    return no_store(
        FileResponse(
            selectors.export_workbook(request.user, month=month),
            as_attachment=True,
            filename="jiedao-ratings.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    )
