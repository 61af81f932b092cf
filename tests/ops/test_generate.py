"""`jiedao demo generate`: many realistic applications, consistent with what the service writes."""

import re
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from jiedao.lib.crypto import last4_hash
from jiedao.lib.validators import validate_id_number
from jiedao.intake import services
from jiedao.ops.demo import demo_id_number
from jiedao.ops.generate import generate_applications, programme_for_generation
from jiedao.intake.lifecycle import OPEN_STATUSES, TRANSITIONS, Status
from jiedao.intake.models import Application, ApplicationEvent, Channel, Document, Programme, ReferenceCounter, Via
from jiedao.reports.selectors import programme_stats
from tests.conftest import valid_answers

N = 300
REFERENCE = re.compile(r"^JGBK-(\d{4})-(\d{7})$")


@pytest.fixture
def generated(db, settings, tmp_path):
    """N applications through the command, on a database without the programme yet."""
    settings.DATA_DIR = tmp_path  # the demo logins file goes here
    call_command("demo", "generate", "--applications", str(N), "--seed", "7", "--workers", "1")
    return Programme.objects.get(code="JGBK")


def sequence(reference: str) -> int:
    return int(reference.rsplit("-", 1)[1])


def test_every_id_number_is_valid_and_unique(generated):
    numbers = [a.id_number for a in Application.objects.all()]
    assert len(numbers) == N
    assert len(set(numbers)) == N
    for number in numbers:
        assert validate_id_number(number) == number
        assert number[:6] in {"310101", "310106", "310108", "310109"}
        assert 1930 <= int(number[6:10]) <= 1975


def test_people_look_real(generated):
    for a in Application.objects.all():
        assert 2 <= len(a.applicant_name) <= 4
        assert (a.name_pinyin, a.name_initials) == services.name_pinyin(a.applicant_name)
        assert a.id_last4_hash == last4_hash(a.id_number[-4:])
        assert re.fullmatch(r"1[3-9]\d{9}", a.phone)
        assert a.neighbourhood in generated.neighbourhoods.all() and a.block in generated.blocks.all()
        assert a.address_road.endswith("路") and a.address_number
        assert 1 <= a.categories.count() <= 2
        assert a.consent_version and a.consent_at == a.sensitive_consent_at == a.submitted_at
        if a.channel == Channel.PROXY:
            assert a.proxy_name and a.proxy_phone and a.proxy_relationship
        else:
            assert not (a.proxy_name or a.proxy_phone or a.proxy_relationship)
        assert (a.filed_by is not None) == (a.channel in (Channel.PHONE, Channel.HOME_VISIT, Channel.COUNTER))
    channels = Counter(Application.objects.values_list("channel", flat=True))
    assert channels.most_common(1)[0][0] == Channel.ONLINE
    assert set(channels) == {Channel.ONLINE, Channel.PROXY, Channel.PHONE, Channel.HOME_VISIT, Channel.COUNTER}
    assert len(set(Application.objects.values_list("status", flat=True))) >= 6


def test_documents_point_at_shared_real_photos(generated, private_storage):
    assert Document.objects.count() == N
    assert not Application.objects.annotate(n=Count("documents")).exclude(n=1).exists()
    files = set(Document.objects.values_list("file", flat=True))
    assert 1 < len(files) <= 10  # a handful, shared
    for name in files:
        assert (private_storage / name).read_bytes()[:2] == b"\xff\xd8"


def test_references_are_unique_and_the_counter_continues_after_them(generated, photos_for):
    references = list(Application.objects.values_list("reference", flat=True))
    assert len(set(references)) == N
    assert all(REFERENCE.match(r) for r in references)
    # in submission order, without gaps
    in_order = list(Application.objects.order_by("submitted_at", "id").values_list("reference", flat=True))
    assert [sequence(r) for r in in_order] == list(range(1, N + 1))
    year = timezone.localdate().year
    assert ReferenceCounter.objects.get(programme=generated, year=year).last == N

    # A real submission afterwards gets the next number.
    application = services.application_submit(
        programme=generated, answers=valid_answers(id_number=demo_id_number("19491001", 999)), photos=photos_for()
    )
    assert sequence(application.reference) == N + 1
    assert application.reference not in references


def _action_for(from_status: str, to_status: str) -> str | None:
    return next((a for a, (sources, target) in TRANSITIONS.items() if from_status in sources and target == to_status), None)


def test_every_case_has_a_consistent_history_ending_in_its_status(generated):
    reviewer = get_user_model().objects.get(username="reviewer")
    now = timezone.now()
    events = {}
    for event in ApplicationEvent.objects.order_by("at", "id"):
        events.setdefault(event.application_id, []).append(event)
    for a in Application.objects.prefetch_related("missing_documents"):
        history = events[a.id]
        first = history[0]
        assert (first.from_status, first.to_status, first.at) == ("", Status.SUBMITTED, a.submitted_at)
        assert first.channel == a.channel and first.actor_id == a.filed_by_id
        for before, after in zip(history, history[1:]):
            assert after.at > before.at
            assert after.from_status == before.to_status
            assert _action_for(after.from_status, after.to_status), (a.reference, after.from_status, after.to_status)
            if after.to_status != Status.RESUBMITTED:  # a staff step
                assert after.actor == reviewer and after.channel == Via.BACK_OFFICE
        assert history[-1].to_status == a.status
        assert history[-1].at <= now
        assert a.updated_at == history[-1].at

        decisions = [e for e in history if e.to_status in (Status.APPROVED, Status.REJECTED)]
        assert a.decided_at == (decisions[0].at if decisions else None)
        if a.status in (Status.APPROVED, Status.REJECTED, Status.PAID):
            assert decisions
        paid = a.status == Status.PAID
        assert (a.paid_amount is not None, a.paid_on is not None, bool(a.payment_method)) == (paid, paid, paid)
        if paid:
            assert a.paid_on == timezone.localtime(history[-1].at).date()
        assert bool(a.missing_documents.all()) == (a.status == Status.NEEDS_MORE)
        for event in history:
            if event.to_status in (Status.NEEDS_MORE, Status.REJECTED):
                assert event.note


def test_the_dashboard_equals_a_direct_count(generated):
    reviewer = get_user_model().objects.get(username="reviewer")
    stats = programme_stats(reviewer, generated)
    applications = Application.objects.filter(programme=generated)
    assert stats.total == applications.count() == N

    def counted(field):
        return dict(applications.values_list(field).annotate(n=Count("id")).order_by())

    by_status = counted("status")
    assert dict(zip(Status.labels, (by_status.get(s, 0) for s in Status.values))) == {
        str(label): count for label, count in stats.by_status.rows
    }
    by_channel = counted("channel")
    assert [count for _label, count in stats.by_channel.rows] == [by_channel.get(c, 0) for c in Channel.values]
    by_neighbourhood = counted("neighbourhood__name")
    assert {label: count for label, count in stats.by_neighbourhood.rows} == {
        n.name: by_neighbourhood.get(n.name, 0) for n in generated.neighbourhoods.all()
    }
    by_block = counted("block__name")
    assert {label: count for label, count in stats.by_block.rows} == {
        b.name: by_block.get(b.name, 0) for b in generated.blocks.all()
    }
    by_category = counted("categories__name")
    assert {label: count for label, count in stats.by_category.rows} == {
        c.name: by_category.get(c.name, 0) for c in generated.categories.all()
    }
    per_day = Counter(timezone.localtime(t).date() for t in applications.values_list("submitted_at", flat=True))
    assert {d.day: d.count for d in stats.by_day if d.count} == per_day
    assert stats.by_day[-1].cumulative == N
    decided = applications.filter(decided_at__isnull=False).count()
    assert stats.decided == decided


def test_running_it_twice_adds_as_many_more_without_collisions(generated):
    call_command("demo", "generate", "--applications", str(N), "--seed", "7", "--workers", "1")
    assert Application.objects.count() == 2 * N
    assert Application.objects.values("reference").distinct().count() == 2 * N
    assert Application.objects.values("id_number_hash").distinct().count() == 2 * N
    year = timezone.localdate().year
    assert ReferenceCounter.objects.get(programme=generated, year=year).last == 2 * N
    # Different people the second time, though the seed is the same.
    names = list(Application.objects.order_by("id").values_list("applicant_name", flat=True))
    assert names[:N] != names[N:]
    reviewer = get_user_model().objects.get(username="reviewer")
    assert programme_stats(reviewer, generated).total == 2 * N
    # Never two open applications of one person in the programme (the service's constraint).
    open_ids = Application.objects.filter(status__in=OPEN_STATUSES).values_list("id_number_hash", flat=True)
    assert len(open_ids) == len(set(open_ids))


def test_the_same_seed_on_the_same_database_gives_the_same_applications(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    programme = programme_for_generation("JGBK")
    now = timezone.now()

    def run():
        generate_applications(programme=programme, count=50, seed=3, now=now, batch_size=20)
        rows = list(
            Application.objects.order_by("reference").values_list(
                "reference", "applicant_name", "id_number_hash", "phone", "status", "channel", "submitted_at"
            )
        )
        Application.objects.all().delete()
        ReferenceCounter.objects.all().delete()
        return rows

    first = run()
    assert len(first) == 50
    assert run() == first


def test_an_unknown_programme_is_refused(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("demo", "generate", "--applications", "5", "--programme", "NOPE")


@pytest.mark.django_db(transaction=True)
def test_writer_processes_write_the_same_kind_of_data(settings, tmp_path):
    """With --workers 2 the batches are written by forked processes (committed, so visible)."""
    settings.DATA_DIR = tmp_path
    call_command("demo", "generate", "--applications", "500", "--batch-size", "100", "--workers", "2")
    programme = Programme.objects.get(code="JGBK")
    assert Application.objects.count() == 500
    assert Application.objects.values("reference").distinct().count() == 500
    assert ApplicationEvent.objects.filter(from_status="").count() == 500
    assert Document.objects.count() == 500
    reviewer = get_user_model().objects.get(username="reviewer")
    assert programme_stats(reviewer, programme).total == 500
