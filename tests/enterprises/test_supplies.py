"""The supplies ledger as the trade union keeps it: receipts and handouts as rows that are never
edited (a correction is a new row), stock that never goes below zero even with fifty handouts of
the last ten boxes at once (SQLite and PostgreSQL), a handout signed on the phone or with a photo
of the signed list, and the leadership's figures, every one recounted from the ledger."""

from __future__ import annotations

import base64
import datetime as dt
import io
from collections import defaultdict

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from PIL import Image, ImageDraw

from jiedao.core.models import Role
from jiedao.enterprises import ledger, selectors, services
from jiedao.enterprises.models import EntryKind, Item, LedgerEntry, NeedStatus
from jiedao.lib.errors import ValidationFailed
from tests.conftest import processed_photo, run_concurrently, sign_in
from tests.factories import EnterpriseFactory, SupplyItemFactory, make_staff


def signature_png() -> bytes:
    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(10, 80), (150, 20), (290, 70)], fill=(0, 0, 0, 255), width=4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.mark.django_db
def test_receipts_and_handouts_keep_a_running_balance_that_never_goes_negative(programme):
    actor = make_staff("union", Role.REVIEWER)
    masks = SupplyItemFactory()
    enterprise = EnterpriseFactory()
    ledger.receipt_record(item=masks, quantity=1000, source="区总工会", actor=actor)
    entry = ledger.handout_record(item=masks, quantity=300, enterprise=enterprise, received_by="王经理", actor=actor, signature_png=signature_png())
    assert entry.balance_after == 700 and Item.objects.get().balance == 700
    with pytest.raises(ledger.OutOfStock) as refused:
        ledger.handout_record(item=masks, quantity=701, enterprise=enterprise, received_by="王经理", actor=actor, signature_png=signature_png())
    assert "库存不足" in refused.value.message and "700" in refused.value.message
    assert Item.objects.get().balance == 700 and LedgerEntry.objects.count() == 2


@pytest.mark.django_db
def test_a_handout_needs_a_signature_or_a_photo_of_the_signed_list(programme):
    actor = make_staff("union", Role.REVIEWER)
    masks = SupplyItemFactory()
    enterprise = EnterpriseFactory()
    ledger.receipt_record(item=masks, quantity=100, source="区总工会", actor=actor)
    with pytest.raises(ValidationFailed) as missing:
        ledger.handout_record(item=masks, quantity=10, enterprise=enterprise, received_by="王经理", actor=actor)
    assert "签名" in missing.value.errors["signature"][0]
    with pytest.raises(ValidationFailed) as blank:
        empty = io.BytesIO()
        Image.new("RGBA", (300, 100), (0, 0, 0, 0)).save(empty, format="PNG")
        ledger.handout_record(item=masks, quantity=10, enterprise=enterprise, received_by="王经理", actor=actor, signature_png=empty.getvalue())
    assert "签名" in blank.value.errors["signature"][0]
    signed = ledger.handout_record(item=masks, quantity=10, enterprise=enterprise, received_by="王经理", actor=actor, signed_list=processed_photo())
    assert signed.signed_list.endswith(".jpg") and not signed.signature
    assert Item.objects.get().balance == 90


@pytest.mark.django_db
def test_a_correction_is_a_new_row_and_the_wrong_one_stays(client, programme):
    reviewer = make_staff("union", Role.REVIEWER)
    masks = SupplyItemFactory()
    enterprise = EnterpriseFactory()
    ledger.receipt_record(item=masks, quantity=100, source="区总工会", actor=reviewer)
    wrong = ledger.handout_record(item=masks, quantity=50, enterprise=enterprise, received_by="王经理", actor=reviewer, signature_png=signature_png())
    sign_in(client, reviewer)
    refused = client.post(f"/staff/supplies/entries/{wrong.pk}/", {"quantity": "5", "note": ""})
    assert refused.status_code == 400 and "原因" in refused.content.decode()
    assert client.post(f"/staff/supplies/entries/{wrong.pk}/", {"quantity": "5", "note": "实发45只，多记了5只"}).status_code == 302
    wrong.refresh_from_db()
    assert wrong.quantity == -50  # untouched
    correction = LedgerEntry.objects.get(kind=EntryKind.CORRECTION)
    assert correction.corrects == wrong and correction.enterprise == enterprise and correction.quantity == 5
    assert Item.objects.get().balance == 55
    board = selectors.dashboard()
    assert board.items[0].handed_out == 45 and board.per_enterprise[0][1][masks.pk] == 45


@pytest.mark.django_db
def test_the_handout_page_signs_on_the_phone_and_says_when_stock_is_short(client, programme):
    reviewer = make_staff("union", Role.REVIEWER)
    masks = SupplyItemFactory()
    enterprise = EnterpriseFactory(name="上海电能电气有限公司")
    need = services.need_add(enterprise=enterprise, need=services.NeedIn(kind="supplies", detail="口罩", quantity=40), actor=reviewer)
    ledger.receipt_record(item=masks, quantity=30, source="区总工会", actor=reviewer)
    sign_in(client, reviewer)
    page = client.get(f"/staff/supplies/handout/?enterprise={enterprise.pk}&need={need.pk}").content.decode()
    assert "signature.js" in page and "data-signature-pad" in page and "签收单的照片" in page
    data = {"item": masks.pk, "quantity": "40", "enterprise": enterprise.pk, "need": need.pk, "received_by": "赵厂长",
            "signature": "data:image/png;base64," + base64.b64encode(signature_png()).decode()}  # fmt: skip
    short = client.post("/staff/supplies/handout/", data)
    body = short.content.decode()
    assert short.status_code == 409 and "库存不足" in body and "赵厂长" in body
    unsigned = client.post("/staff/supplies/handout/", {**data, "quantity": "30", "signature": ""})
    assert unsigned.status_code == 400 and "请让领取人在手机上签名" in unsigned.content.decode()
    assert client.post("/staff/supplies/handout/", {**data, "quantity": "30"}).status_code == 302
    entry = LedgerEntry.objects.get(kind=EntryKind.HANDOUT)
    assert entry.need == need and entry.signature.endswith(".png")
    image = client.get(f"/staff/supplies/entries/{entry.pk}/signature/")
    assert image["Content-Type"] == "image/png" and b"".join(image.streaming_content).startswith(b"\x89PNG")
    assert "口罩 0 只" in client.get("/staff/supplies/handout/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_fifty_handouts_of_the_last_ten_boxes_at_once_give_out_ten(programme):
    actor = make_staff("union", Role.REVIEWER)
    tablets = SupplyItemFactory(name="消毒片", unit="盒")
    ledger.receipt_record(item=tablets, quantity=10, source="区总工会", actor=actor)
    enterprises = [EnterpriseFactory(contact=False) for _ in range(5)]
    png = signature_png()

    def one(index):
        try:
            ledger.handout_record(item=tablets, quantity=1, enterprise=enterprises[index % 5], received_by="领取人", actor=actor, signature_png=png)
            return "ok"
        except ledger.OutOfStock as refused:
            return str(refused.message)

    results, errors = run_concurrently(50, one)
    assert errors == []
    assert results.count("ok") == 10 and all("库存不足" in r for r in results if r != "ok")
    assert Item.objects.get(pk=tablets.pk).balance == 0
    assert LedgerEntry.objects.filter(kind=EntryKind.HANDOUT).count() == 10
    assert selectors.balances_recount() == {tablets.pk: 0}
    assert not LedgerEntry.objects.filter(balance_after__lt=0).exists()


@pytest.mark.django_db
def test_every_figure_of_the_dashboard_is_recounted_from_the_ledger(client, programme):
    actor = make_staff("union", Role.REVIEWER)
    masks = SupplyItemFactory(name="口罩", unit="只")
    gel = SupplyItemFactory(name="免洗洗手液", unit="瓶")
    ledger.receipt_record(item=masks, quantity=5000, source="区总工会", actor=actor)
    ledger.receipt_record(item=gel, quantity=300, source="爱心企业捐赠", actor=actor)
    own_union = [EnterpriseFactory(union_separate=True, contact=False) for _ in range(3)]
    joint = EnterpriseFactory(union_separate=False, contact=False)
    png = signature_png()
    for n, enterprise in enumerate([*own_union, joint]):
        ledger.handout_record(item=masks, quantity=100 + n, enterprise=enterprise, received_by="甲", actor=actor, signature_png=png)
        if enterprise.union_separate:
            ledger.handout_record(item=gel, quantity=10, enterprise=enterprise, received_by="甲", actor=actor, signature_png=png)
    wrong = LedgerEntry.objects.filter(kind=EntryKind.HANDOUT, item=masks).first()
    ledger.correction_record(entry=wrong, quantity=20, reason="多记了", actor=actor)
    today = timezone.localdate()
    services.visit_record(enterprise=own_union[0], actor=actor, visited_on=today, staff_ids=[actor.pk])
    services.visit_record(enterprise=own_union[0], actor=actor, visited_on=today, staff_ids=[actor.pk])
    services.visit_record(enterprise=joint, actor=actor, visited_on=today.replace(day=1) - dt.timedelta(days=1), staff_ids=[actor.pk])
    late = services.need_add(enterprise=joint, need=services.NeedIn(kind="supplies", detail="口罩", due_on=today - dt.timedelta(days=3)), actor=actor)
    met = services.need_add(enterprise=joint, need=services.NeedIn(kind="supplies", detail="洗手液"), actor=actor)
    services.need_transition(need=met, to=NeedStatus.MET, actor=actor)

    board = selectors.dashboard(today=today)
    # The recount: straight from the rows, without the running balances or the selectors' sums.
    received, out, per = defaultdict(int), defaultdict(int), defaultdict(int)
    for entry in LedgerEntry.objects.select_related("enterprise"):
        if entry.enterprise_id is None:
            received[entry.item_id] += entry.quantity
        else:
            out[entry.item_id] -= entry.quantity
            per[(entry.enterprise_id, entry.item_id)] -= entry.quantity
    for figures in board.items:
        assert figures.received == received[figures.item.pk]
        assert figures.handed_out == out[figures.item.pk]
        assert figures.item.balance == received[figures.item.pk] - out[figures.item.pk]
    for enterprise, given in board.per_enterprise:
        for item_id, quantity in given.items():
            assert quantity == per[(enterprise.pk, item_id)]
    union_masks = sum(q for (e, i), q in per.items() if i == masks.pk and e in {x.pk for x in own_union})
    assert board.union_enterprises_supplied == 3
    assert board.sentence == f"为 3 家单独建会企业提供口罩 {union_masks} 只、免洗洗手液 30 瓶。"
    assert selectors.balances_recount() == {item.pk: item.balance for item in Item.objects.all()}
    assert board.visited_this_month == 1 and board.visits_this_month == 2
    supplies_row = next(row for row in board.needs_by_kind if row[0] == "防疫物资")
    assert supplies_row == ("防疫物资", 1, 1, 1) and late.is_overdue(today)

    sign_in(client, actor)
    page = client.get("/staff/enterprises/dashboard/").content.decode()
    assert board.sentence in page
    workbook = load_workbook(io.BytesIO(b"".join(client.get("/staff/enterprises/dashboard.xlsx").streaming_content)))
    sheet = workbook["物资"]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["口罩"][2:5] == (received[masks.pk], out[masks.pk], received[masks.pk] - out[masks.pk])
    assert board.sentence in [row[1] for row in workbook["概况"].iter_rows(min_row=2, values_only=True)]
