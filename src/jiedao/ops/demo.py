"""Demo data from the newsletter's places: Zhijiang West Road subdistrict, its neighbourhoods and
renovation blocks, the hardship-subsidy programme with its categories and documents, a few sample
applications with generated photos, and demo staff.

Loading is idempotent: every row is keyed by a code or username, sample applications by an
idempotency key, so running it twice changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from jiedao.core.models import (
    Block,
    BlockStreet,
    Neighbourhood,
    Role,
    StaffProfile,
    Subdistrict,
)
from jiedao.intake import services
from jiedao.intake.models import Application, Category, Channel, DocumentType, Programme
from jiedao.intake.photos import process_photo
from jiedao.intake.selectors import required_documents
from jiedao.intake.tallies import tallies_rebuild
from jiedao.lib.validators import id_check_char

from .sample_photos import sample_document_photo

PROGRAMME_CODE = "JGBK"

NEIGHBOURHOODS = [
    # code, name, English, committee phone (fictional), committee address
    ("zhijiangxincun", "芷江新村", "Zhijiang Xincun", "021-56330101", "芷江中路（居委会，示例地址）"),
    ("gonghexinlu", "共和新路", "Gonghe Xinlu", "021-56330102", "共和新路（居委会，示例地址）"),
    ("yongtai", "永太", "Yongtai", "021-56330103", "永太路（居委会，示例地址）"),
    ("guangji", "光机", "Guangji", "021-56330104", "光机小区（居委会，示例地址）"),
    ("zhongxing", "中兴", "Zhongxing", "021-56330105", "中兴路（居委会，示例地址）"),
]
BLOCKS = [
    ("yuqun-west", "育群中学西块", "Yuqun Middle School West Block"),
    ("block-241", "241街坊", "Block 241"),
    ("block-242", "242街坊", "Block 242"),
]
# Which roads and lanes (弄) lie in each block, so that the form can tell residents their block
# from their address. Illustrative ranges around the sample addresses, not surveyed data.
BLOCK_STREETS = [
    # block code, road, first lane, last lane
    ("block-241", "中兴路", 1000, 1099),
    ("block-241", "永太路", 1, 199),
    ("block-242", "中兴路", 1100, 1199),
    ("block-242", "共和新路", 1400, 1599),
    ("yuqun-west", "芷江中路", 200, 399),
    ("yuqun-west", "光复路", 1, 99),
]
DOCUMENTS = [
    # code, name, English, pages, page labels, English labels, hint, English hint
    ("id_card", "身份证", "Resident ID card", 2, "正面|反面", "front|back",
     "申请人本人的身份证，正面和反面各拍一张。", "The applicant's own ID card: one photo of each side."),
    ("bank_card", "银行卡", "Bank card", 1, "", "",
     "申请人本人名下的银行卡，补助会发到这张卡上。", "A bank card in the applicant's name; the subsidy is paid to it."),
    ("hukou", "户口簿", "Household register (hukou)", 2, "首页|本人页", "first page|applicant's page",
     "户口簿首页和申请人本人那一页。", "The first page and the applicant's own page."),
    ("dibao_cert", "低保（纳保）证明", "Minimum living guarantee certificate", 1, "", "",
     "民政部门发的低保或纳保证明。", "The certificate issued by the civil affairs office."),
    ("disability_cert", "残疾证", "Disability certificate", 1, "", "",
     "残疾证有照片和残疾等级的那一页。", "The page of the certificate with the photo and the grade."),
    ("medical_record", "诊断证明", "Medical diagnosis", 1, "", "",
     "医院出具的诊断证明或出院小结。", "A hospital diagnosis or discharge summary."),
]
COMMON_DOCUMENTS = ["id_card", "bank_card"]
# How a document is named in an SMS: these three would tell whoever reads the phone about an
# illness, a disability or the minimum living guarantee.
SMS_NAMES = {"dibao_cert": "证明材料", "disability_cert": "证明材料", "medical_record": "证明材料"}
CATEGORIES = [
    ("dibao", "低保（纳保）家庭", "Minimum living guarantee household", ["dibao_cert"],
     "享受城乡低保或纳入保障的家庭。", "Households receiving the minimum living guarantee."),
    ("disabled", "残疾人", "Person with a disability", ["disability_cert"],
     "申请人或家庭成员持有残疾证。", "The applicant or a household member holds a disability certificate."),
    ("elderly_alone", "独居老人", "Elderly person living alone", ["hukou"],
     "60周岁以上、独自居住的老人。", "Aged 60 or over and living alone."),
    ("serious_illness", "重病患者", "Serious illness", ["medical_record"],
     "患有重大疾病，需要长期治疗。", "A serious illness that needs long treatment."),
]


@dataclass(frozen=True)
class SampleApplicant:
    key: str
    name: str
    birth: str
    phone: str
    neighbourhood: str
    block: str
    road: str
    lane: str
    number: str
    room: str
    categories: tuple[str, ...]
    channel: str
    proxy: tuple[str, str, str] | None = None  # name, phone, relationship
    progress: tuple[str, ...] = ()  # what the office has done since


SAMPLES = [
    SampleApplicant("demo-1", "王秀英", "19460312", "13900000001", "zhongxing", "block-241", "中兴路", "1021", "7", "",
                    ("dibao", "disabled"), Channel.PHONE, progress=("start_review", "request_more")),
    SampleApplicant("demo-2", "陈德明", "19520818", "13900000002", "zhijiangxincun", "yuqun-west", "芷江中路", "300", "12", "201",
                    ("disabled", "elderly_alone"), Channel.HOME_VISIT,
                    progress=("start_review", "approve", "record_payment")),
    SampleApplicant("demo-3", "李桂兰", "19490127", "13900000003", "gonghexinlu", "block-242", "共和新路", "1500", "3", "102",
                    ("elderly_alone",), Channel.PROXY, ("李建华", "13900000013", "child")),
    SampleApplicant("demo-4", "周建国", "19610905", "13900000004", "yongtai", "block-241", "永太路", "88", "5", "301",
                    ("serious_illness",), Channel.ONLINE, progress=("start_review",)),
    SampleApplicant("demo-5", "吴美华", "19580422", "13900000005", "guangji", "yuqun-west", "光复路", "66", "9", "",
                    ("dibao",), Channel.COUNTER, progress=("start_review", "approve")),
    SampleApplicant("demo-6", "买买提·艾力", "19700630", "13900000006", "zhongxing", "block-242", "中兴路", "1180", "2", "",
                    ("dibao", "serious_illness"), Channel.ONLINE),
]

PHOTO_KIND = {
    "id_card": ("id_front", "id_back"),
    "bank_card": ("bank_card",),
    "hukou": ("household_register", "household_register"),
    "dibao_cert": ("other",),
    "disability_cert": ("disability_certificate",),
    "medical_record": ("medical_record",),
}


def demo_id_number(birth: str, serial: int) -> str:
    """A structurally valid but made-up ID number (Jing'an region code, demo birth date)."""
    first17 = f"310106{birth}{serial:03d}"
    return first17 + id_check_char(first17)


def load_places() -> Programme:
    subdistrict, _created = Subdistrict.objects.update_or_create(
        code="zhijiangxilu",
        defaults={
            "name": "芷江西路街道",
            "name_en": "Zhijiang West Road Subdistrict",
            "district": "静安区",
            "city": "上海市",
            "office_phone": "021-56330100",
        },
    )
    neighbourhoods = []
    for code, name, name_en, phone, address in NEIGHBOURHOODS:
        neighbourhood, _created = Neighbourhood.objects.update_or_create(
            code=code,
            defaults={
                "subdistrict": subdistrict,
                "name": name,
                "name_en": name_en,
                "committee_phone": phone,
                "committee_address": address,
            },
        )
        neighbourhoods.append(neighbourhood)
    blocks = []
    for code, name, name_en in BLOCKS:
        block, _created = Block.objects.update_or_create(
            code=code, defaults={"subdistrict": subdistrict, "name": name, "name_en": name_en}
        )
        blocks.append(block)
    by_code = {block.code: block for block in blocks}
    for code, road, lane_from, lane_to in BLOCK_STREETS:
        BlockStreet.objects.update_or_create(
            block=by_code[code], road=road, lane_from=lane_from, defaults={"lane_to": lane_to}
        )

    today = timezone.localdate()
    programme, _created = Programme.objects.update_or_create(
        code=PROGRAMME_CODE,
        defaults={
            "subdistrict": subdistrict,
            "name": "旧改特殊对象帮困补助",
            "name_en": "Hardship subsidy for special-category residents of renovation blocks",
            "summary": (
                "育群中学西块和241、242街坊旧改地块内的低保（纳保）家庭、残疾人、独居老人和重病患者，"
                "可以在线申请帮困补助：拍照上传材料、填写信息，就能完成申报。"
            ),
            "summary_en": (
                "Minimum-living-guarantee households, people with disabilities, elderly people living alone "
                "and people with serious illness in the Yuqun West, 241 and 242 renovation blocks can apply "
                "online: photograph the documents, fill in the details, done."
            ),
            # The demo keeps the programme open around the day it is loaded.
            "opens_on": today - dt.timedelta(days=30),
            "closes_on": today + dt.timedelta(days=90),
        },
    )
    programme.neighbourhoods.set(neighbourhoods)
    programme.blocks.set(blocks)
    documents = {}
    for order, (code, name, name_en, pages, labels, labels_en, hint, hint_en) in enumerate(DOCUMENTS):
        documents[code], _created = DocumentType.objects.update_or_create(
            programme=programme,
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "pages": pages,
                "page_labels": labels,
                "page_labels_en": labels_en,
                "hint": hint,
                "hint_en": hint_en,
                "order": order,
                "sms_name": SMS_NAMES.get(code, ""),
            },
        )
    programme.common_documents.set([documents[code] for code in COMMON_DOCUMENTS])
    for order, (code, name, name_en, docs, description, description_en) in enumerate(CATEGORIES):
        category, _created = Category.objects.update_or_create(
            programme=programme,
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "description": description,
                "description_en": description_en,
                "order": order,
            },
        )
        category.documents.set([documents[d] for d in docs])
    return programme


def load_samples(programme: Programme) -> int:
    from jiedao.intake.transitions import Payment, application_transition

    User = get_user_model()
    reviewer = User.objects.get(username="reviewer")
    workers = {
        code: User.objects.get(username=username)
        for username, _name, role, codes in STAFF
        if role == Role.WORKER
        for code in codes
    }
    created = 0
    for serial, sample in enumerate(SAMPLES, start=1):
        key = f"demo:{sample.key}"
        if Application.objects.filter(idempotency_key=key).exists():
            continue
        answers = {
            "who": "proxy" if sample.proxy else "self",
            "name": sample.name,
            "id_number": demo_id_number(sample.birth, 100 + serial),
            "phone": sample.phone,
            "neighbourhood": sample.neighbourhood,
            "block": sample.block,
            "address_road": sample.road,
            "address_lane": sample.lane,
            "address_number": sample.number,
            "address_room": sample.room,
            "categories": list(sample.categories),
            "household_note": "",
            "consent": True,
            "sensitive_consent": True,
        }
        if sample.proxy:
            answers.update(proxy_name=sample.proxy[0], proxy_phone=sample.proxy[1], proxy_relationship=sample.proxy[2])
        uploads = []
        for doc in required_documents(programme, sample.categories):
            kinds = PHOTO_KIND.get(doc.code, ("other",) * doc.pages)
            for page in range(1, doc.pages + 1):
                raw = sample_document_photo(kinds[(page - 1) % len(kinds)], seed=serial * 10 + page)
                uploads.append((doc.code, page, process_photo(io.BytesIO(raw))))
        staff_filed = sample.channel in (Channel.PHONE, Channel.HOME_VISIT, Channel.COUNTER)
        # Spread over the last weeks, so that the dashboard has days to show.
        submitted = timezone.now() - dt.timedelta(days=3 * (len(SAMPLES) - serial) + 1, hours=serial)
        application = services.application_submit_uploads(
            programme=programme,
            answers=answers,
            uploads=uploads,
            channel=sample.channel,
            filed_by=workers.get(sample.neighbourhood) if staff_filed else None,
            idempotency_key=key,
            now=submitted,
        )
        notes = {
            "request_more": "户口簿上没有申请人本人那一页，请补拍户口簿首页和本人页。",
            "reject": "经核对，申请人不在本次旧改地块的登记名单内。",
        }
        for step, action in enumerate(sample.progress, start=1):
            application_transition(
                now=submitted + dt.timedelta(days=step, hours=2),
                application=application,
                action=action,
                actor=reviewer,
                note=notes.get(action, ""),
                missing_document_codes=["hukou"] if action == "request_more" else (),
                payment=Payment(Decimal("3000.00"), timezone.localdate(submitted + dt.timedelta(days=step)))
                if action == "record_payment"
                else None,
            )
        created += 1
    return created


def demo_logins_path():
    return settings.DATA_DIR / "demo-logins.json"


STAFF = [
    # username, display name, role, neighbourhood codes
    ("admin", "系统管理员", Role.ADMIN, ()),
    ("reviewer", "旧改分指挥部 审核员", Role.REVIEWER, ()),
    ("leader", "街道领导", Role.LEADER, ()),
    ("worker_zjxc", "芷江新村居委会 社工", Role.WORKER, ("zhijiangxincun",)),
    ("worker_yt", "永太居委会 社工", Role.WORKER, ("yongtai",)),
    ("worker_ghxl", "共和新路居委会 社工", Role.WORKER, ("gonghexinlu",)),
    ("worker_zx", "中兴居委会 社工", Role.WORKER, ("zhongxing", "guangji")),
]


def refuse_in_production() -> None:
    """Demo data makes up people and resets the demo accounts' passwords (``admin`` among them)."""
    if settings.PRODUCTION:
        raise PermissionError("demo data is never loaded into production (JIEDAO_ENV=production)")


def load_staff() -> dict[str, str]:
    """Demo staff with passwords generated once per installation (kept in var/, never committed)."""
    refuse_in_production()
    path = demo_logins_path()
    logins = json.loads(path.read_text()) if path.exists() else {}
    User = get_user_model()
    for username, display_name, role, neighbourhood_codes in STAFF:
        password = logins.get(username) or secrets.token_urlsafe(9)
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": display_name, "is_staff": True, "is_superuser": role == Role.ADMIN},
        )
        if created or not user.check_password(password):
            user.set_password(password)
            user.save()
        profile, _created = StaffProfile.objects.update_or_create(user=user, defaults={"role": role})
        profile.neighbourhoods.set(Neighbourhood.objects.filter(code__in=neighbourhood_codes))
        demo_device(user)
        logins[username] = password
    path.write_text(json.dumps(logins, ensure_ascii=False, indent=2))
    path.chmod(0o600)
    return logins


DEMO_DEVICE_NAME = "demo"


def demo_device(user):
    """A confirmed authenticator for a demo account, so that `make run` works without a phone:
    `jiedao demo code <username>` prints its current code. Never in production, where staff enrol
    their own phone at first sign-in."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if settings.PRODUCTION:
        return None
    device = TOTPDevice.objects.filter(user=user, name=DEMO_DEVICE_NAME, confirmed=True).first()
    if device is None and not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        device = TOTPDevice.objects.create(user=user, name=DEMO_DEVICE_NAME, confirmed=True)
    return device


def demo_totp_code(username: str) -> tuple[str, int]:
    """The current code of a demo account's device and the seconds it stays valid."""
    import time

    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if settings.PRODUCTION:
        raise PermissionError("demo codes are not available in production")
    device = TOTPDevice.objects.get(user__username=username, name=DEMO_DEVICE_NAME, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    now = time.time()
    totp.time = now
    code = str(totp.token()).zfill(device.digits)
    remaining = device.step - int(now - device.t0) % device.step
    return code, remaining


# The newsletter's activities (its first article): three party days of March, each with its
# neighbourhood, and the blood drive of 2 April, held this year with the counts it reports; and two
# to come, to sign up for. code, title, kind, neighbourhood, organiser, place, start, hours,
# capacity, signed up, attended, groups.
ACTIVITIES = [
    ("2026-03-21-yt", "3月21日主题党日：永太居民区", "party_day", "yongtai", "永太居民区党总支", "永太居委会",
     (2026, 3, 21, 9), 3, 45, 44, 42, ()),
    ("2026-03-23-zjxc", "3月23日主题党日：芷江新村居民区", "party_day", "zhijiangxincun", "芷江新村居民区党总支",
     "芷江新村居委会", (2026, 3, 23, 9), 3, 50, 45, 42, ()),
    ("2026-03-24-ghxl", "3月24日主题党日：共和新路居民区", "party_day", "gonghexinlu", "共和新路居民区党总支",
     "共和新路居委会", (2026, 3, 24, 9), 3, 36, 33, 31,
     ("走访慰问独居老人", "1号门岗值守", "2号门岗值守", "垃圾箱房值守", "街面清扫", "防疫宣传")),
    ("2026-04-02-blood", "4月2日无偿献血", "blood", None, "芷江西路街道办事处", "街道社区事务受理服务中心",
     (2026, 4, 2, 9), 4, 60, 48, 41, ()),
]
UPCOMING = [
    ("zjxc-gate-duty", "小区门岗值守志愿服务", "volunteer", "zhijiangxincun", "芷江新村居民区党总支", "芷江新村小区门岗",
     7, 4, 12, 4, ("早班 7:00—11:00", "午班 11:00—15:00")),
    ("blood-drive", "无偿献血报名", "blood", None, "芷江西路街道办事处", "街道社区事务受理服务中心", 14, 4, 40, 0, ()),
]  # fmt: skip


# The organiser's sentence in the texts (短信附言), by kind of activity.
SMS_NOTES = {"blood": "请带好身份证，献血前吃清淡早餐", "volunteer": "请提前10分钟到岗"}


def load_activities() -> int:
    """The newsletter's activities, once (by code): past ones with their sign-ups and attendance,
    upcoming ones with a few sign-ups, through the same models the service writes."""
    import datetime as dt
    import random

    from django.utils import timezone

    from jiedao.activities.models import Activity, ActivityGroup, Signup, SignupStatus

    from .generate import SURNAME, person_name

    rng = random.Random(2020)
    organiser = get_user_model().objects.get(username="admin")
    created = 0

    def people(count: int) -> list[tuple[str, str]]:
        return [(person_name(rng, rng.choice("mf"), SURNAME(rng)), f"139{rng.randrange(10**8):08d}") for _ in range(count)]

    def make(code, title, kind, neighbourhood, organiser_name, place, start, hours, capacity, groups):
        activity = Activity.objects.create(
            code=code, title=title, kind=kind, organiser=organiser_name, place=place, starts_at=start,
            ends_at=start + dt.timedelta(hours=hours), capacity=capacity, created_by=organiser,
            neighbourhood=Neighbourhood.objects.get(code=neighbourhood) if neighbourhood else None,
            unit_label="所在党支部" if kind == "party_day" else "",
            sms_note=SMS_NOTES.get(kind, ""),
        )  # fmt: skip
        return activity, [ActivityGroup.objects.create(activity=activity, name=name, order=i) for i, name in enumerate(groups)]

    for code, title, kind, nb, org, place, (y, m, d, h), hours, capacity, signed, came, groups in ACTIVITIES:
        if Activity.objects.filter(code=code).exists():
            continue
        start = timezone.make_aware(dt.datetime(y, m, d, h))
        activity, rows = make(code, title, kind, nb, org, place, start, hours, capacity, groups)
        Signup.objects.bulk_create(
            Signup(
                activity=activity, group=rows[i % len(rows)] if rows else None, name=name, phone=phone,
                status=SignupStatus.CONFIRMED, created_at=start - dt.timedelta(days=3), confirmed_at=start - dt.timedelta(days=3),
                attended_at=start + dt.timedelta(minutes=rng.randrange(20)) if i < came else None,
                unit=f"第{i % 4 + 1}党支部" if kind == "party_day" else "",
            )
            for i, (name, phone) in enumerate(people(signed))
        )  # fmt: skip
        created += 1
    today = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
    for code, title, kind, nb, org, place, days, hours, capacity, signed, groups in UPCOMING:
        if Activity.objects.filter(code=code).exists():
            continue
        activity, rows = make(code, title, kind, nb, org, place, today + dt.timedelta(days=days), hours, capacity, groups)
        Signup.objects.bulk_create(
            Signup(activity=activity, group=rows[i % len(rows)] if rows else None, name=name, phone=phone,
                   status=SignupStatus.CONFIRMED, confirmed_at=timezone.now())
            for i, (name, phone) in enumerate(people(signed))
        )  # fmt: skip
        created += 1
    return created


# Gate posts of the newsletter's joint epidemic control: neighbourhood, code, name, headcount.
POSTS = [
    ("zhijiangxincun", "zjxc-gate-1", "芷江新村1号门岗", 2),
    ("gonghexinlu", "ghxl-gate-1", "共和新路小区门岗", 2),
    ("yongtai", "yt-gate-1", "永太小区门岗", 1),
]


def load_rosters() -> int:
    """Gate posts with a month of shifts from today (07:00–11:00 and 15:00–19:00), and volunteers
    who took most of the first week's, so the coverage board shows shifts covered and short."""
    import datetime as dt
    import random

    from django.utils import timezone

    from jiedao.rosters.models import Assignment, Post, Shift, Volunteer
    from jiedao.rosters.services import shifts_generate

    from .generate import SURNAME, person_name

    if Post.objects.filter(code=POSTS[0][1]).exists():
        return 0
    rng = random.Random(2020)
    today = timezone.localdate()
    for neighbourhood_code, code, name, headcount in POSTS:
        neighbourhood = Neighbourhood.objects.get(code=neighbourhood_code)
        post = Post.objects.create(
            neighbourhood=neighbourhood, code=code, name=name, headcount=headcount, organiser_phone="13800000001"
        )
        for starts, ends in ((dt.time(7), dt.time(11)), (dt.time(15), dt.time(19))):
            shifts_generate(post=post, first_day=today, last_day=today + dt.timedelta(days=29), starts=starts, ends=ends)
        people = [
            Volunteer.objects.create(
                neighbourhood=neighbourhood, name=person_name(rng, rng.choice("mf"), SURNAME(rng)),
                phone=f"137{rng.randrange(10**8):08d}", party_member=rng.random() < 0.7,
            )  # fmt: skip
            for _ in range(8)
        ]
        for shift in Shift.objects.filter(post=post, starts_at__lt=timezone.now() + dt.timedelta(days=7)):
            wanted = shift.headcount if rng.random() < 0.7 else shift.headcount - 1
            for volunteer in rng.sample(people, wanted):
                Assignment.objects.create(shift=shift, volunteer=volunteer)
    return len(POSTS)


def load_ratings() -> int:
    """Ratings (好差评) for some of the demo's decided subsidy cases: their invitations came from
    the decisions themselves (``case_ended``); most are satisfied, one taken face to face at a home
    visit, and one 不满意 whose rectification has had its call back and waits for the answer. The
    reviewer and the renovation office get phones for overdue reminders. Once (skips rated cases)."""
    import datetime as dt

    from django.utils import timezone

    from jiedao.ratings.models import Channel as RatingChannel, Invitation, OfficeContact, Rating, StaffContact
    from jiedao.ratings.services import rating_record, rectification_record_call

    User = get_user_model()
    reviewer = User.objects.get(username="reviewer")
    StaffContact.objects.get_or_create(user=reviewer, defaults={"phone": "13800000002"})
    OfficeContact.objects.get_or_create(office="旧改分指挥部", defaults={"phone": "13800000003"})
    invitations = list(Invitation.objects.filter(service="hardship", rating__isnull=True).order_by("ended_at", "id"))
    if Rating.objects.filter(invitation__service="hardship").exists() or not invitations:
        return 0
    plans = [  # 陈德明 was helped at home (上门): his rating too; 吴美华's is the bad one
        (5, {"overall": 5}, "居委会上门帮我办的，谢谢", RatingChannel.FACE_TO_FACE),
        (2, {"overall": 2, "efficiency": 1, "guide_accuracy": 3, "convenience": 2, "platform": 3}, "补材料来回好几次，等了很久", RatingChannel.ONLINE),
        (5, {"overall": 5, "efficiency": 5, "guide_accuracy": 5, "convenience": 5, "platform": 4}, "拍拍照片填填名字就好了，方便", RatingChannel.ONLINE),
        (4, {"overall": 4, "efficiency": 4, "guide_accuracy": 5, "convenience": 4, "platform": 4}, "", RatingChannel.ONLINE),
        (3, {"overall": 3, "efficiency": 3, "guide_accuracy": 3, "convenience": 4, "platform": 3}, "", RatingChannel.ONLINE),
    ]
    workers = {n.pk: u for u in User.objects.filter(staff_profile__role=Role.WORKER) for n in u.staff_profile.neighbourhoods.all()}
    made = 0
    for invitation, (level, scores, comment, channel) in zip(invitations, plans, strict=False):
        rated_at = min(invitation.ended_at + dt.timedelta(days=1, hours=3), timezone.now())
        rating = rating_record(
            invitation=invitation, level=level, indicators=scores, comment=comment, channel=channel, rated_at=rated_at,
            taken_by=workers.get(invitation.neighbourhood_id) if channel == RatingChannel.FACE_TO_FACE else None,
        )  # fmt: skip
        if rating.is_bad:
            rectification_record_call(
                rectification=rating.rectification, actor=reviewer, called_at=min(rated_at + dt.timedelta(days=1), timezone.now()),
                outcome="已电话联系，申请人反映补材料要求没有一次说清楚；已解释并承诺改进告知方式。",
            )  # fmt: skip
        made += 1
    return made
def _demo_photo(seed: int) -> bytes:
    """A plain picture standing in for a newsletter photo (the seed has the captions, not the images)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (960, 600), (200 - seed * 20, 90 + seed * 15, 60 + seed * 25))
    draw = ImageDraw.Draw(image)
    for step in range(0, 960, 48):
        draw.line([(step, 600), (step + 300, 0)], fill=(255, 255, 255), width=3)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def load_news() -> int:
    """The newsletter's five articles (ops/newsletter.py, from the seed) as published news of April
    2020, one printable issue, with a stand-in photo under each printed caption."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from jiedao.news.models import Article, ArticleStatus
    from jiedao.news.services import photo_add

    from .newsletter import ARTICLES

    editor = get_user_model().objects.get(username="admin")
    created = 0
    for index, item in enumerate(ARTICLES):
        if Article.objects.filter(title=item["title"]).exists():
            continue
        dated = dt.date.fromisoformat(item["dated"])
        article = Article.objects.create(
            title=item["title"], subtitle=item["subtitle"], office=item["office"], dated=dated,
            body="\n\n".join(item["paragraphs"]), status=ArticleStatus.PUBLISHED, author=editor, published_by=editor,
            published_at=timezone.make_aware(dt.datetime.combine(dated, dt.time(9))),
        )  # fmt: skip
        for caption in item["captions"]:
            photo_add(article=article, upload=SimpleUploadedFile("photo.jpg", _demo_photo(index)), caption=caption)
        created += 1
    return created


ELEVATOR_COMMITMENTS = (
    "光机小区加装电梯工程复工在即。为保障施工期间居民的安全和健康，居民区党总支、居委会与业委会、物业一起制定了"
    "《加装电梯施工管理承诺书》和《加装电梯施工人员管理承诺书》，并组建了“加装电梯防疫小组”，现予以公示。\n"
    "一、施工企业建立现场施工人员进出登记制度，每日接受居民区测温，员工健康状况每日登记、报告。\n"
    "二、施工人员凭小区出入证进出，不在小区内聚集，工地围挡、材料堆放规范有序。\n"
    "三、施工时间为每日8:00至17:00，午间和夜间不进行有噪音的作业。\n"
    "居民对承诺书内容有意见的，可在公示期内在本页提出异议，或致电社区自治办。"
)


def load_bulletins() -> int:
    """Three notices: the elevator project's commitments (光机, in its period), the subsidy's
    approved applicants of the latest month with approvals (a list made from the cases, published
    through the same checks), and a past notice with an answered objection for the archive."""
    from jiedao.bulletins.models import Bulletin, BulletinKind, BulletinStatus, Objection, ObjectionOutcome, ObjectionStatus
    from jiedao.bulletins.services import bulletin_publish, bulletin_save

    if Bulletin.objects.exists():
        return 0
    admin = get_user_model().objects.get(username="admin")
    reviewer = get_user_model().objects.get(username="reviewer")
    today = timezone.localdate()
    guangji = Neighbourhood.objects.filter(code="guangji")
    elevator = bulletin_save(
        actor=admin,
        fields={
            "title": "光机小区加装电梯施工管理承诺书公示", "body": ELEVATOR_COMMITMENTS, "kind": BulletinKind.TEXT,
            "starts_on": today - dt.timedelta(days=2), "ends_on": today + dt.timedelta(days=3),
            "office": "社区自治办", "office_phone": "021-56330104",
        },
        neighbourhoods=guangji,
    )  # fmt: skip
    bulletin_publish(bulletin=elevator, actor=admin)
    created = 1
    latest = (
        Application.objects.filter(status__in=("approved", "paid"), decided_at__isnull=False).order_by("-decided_at").first()
    )
    if latest is not None:
        month = timezone.localtime(latest.decided_at)
        results = bulletin_save(
            actor=reviewer,
            fields={
                "title": f"旧改特殊对象帮困补助审核结果公示（{month:%Y年%-m月}）",
                "body": "经居委会初审、街道旧改办复核，下列申请人符合旧改特殊对象帮困补助条件，现予公示。",
                "kind": BulletinKind.LIST, "list_source": "hardship_approved", "list_period": f"{month:%Y-%m}",
                "starts_on": today - dt.timedelta(days=1), "ends_on": today + dt.timedelta(days=6),
                "office": "街道旧改办", "office_phone": "021-56330100",
            },
        )  # fmt: skip
        bulletin_publish(bulletin=results, actor=reviewer)
        created += 1
    past = Bulletin.objects.create(
        title="芷江新村垃圾箱房改造方案公示", body="芷江新村3号垃圾箱房将改造为定时定点投放点，方案公示如下。",
        starts_on=today - dt.timedelta(days=30), ends_on=today - dt.timedelta(days=23), office="芷江新村居委会",
        office_phone="021-56330101", status=BulletinStatus.PUBLISHED, created_by=admin, published_by=admin,
        published_at=timezone.now() - dt.timedelta(days=30),
    )  # fmt: skip
    past.neighbourhoods.set(Neighbourhood.objects.filter(code="zhijiangxincun"))
    Objection.objects.create(
        bulletin=past, reference=f"YY{today.year}00000", name="陈德明", phone="13900000002",
        what="投放点的位置", why="离3号楼窗户太近，夏天有气味。", due_on=today - dt.timedelta(days=20),
        created_at=timezone.now() - dt.timedelta(days=26), status=ObjectionStatus.ANSWERED,
        outcome=ObjectionOutcome.PARTLY, answer="投放点向东移动5米，并加装除臭设备。", answered_by=admin,
        answered_at=timezone.now() - dt.timedelta(days=22),
    )  # fmt: skip
    return created + 1
# The newsletter's fourth article: the elevator project at 光机小区 resumed on 24 March with a crew
# whose passes the committee obtained; trades of the crew of eight.
SITE_CREW = ["钢结构安装", "钢结构安装", "电焊工", "电焊工", "电工", "土建", "土建", "电梯安装"]


def load_sites() -> int:
    """光机小区加装电梯: its builder, a crew of 8 who signed the commitment, their passes, and a
    week of gate entries (in at 8, out at 17) with one refusal, closed with a note; through the
    services the gate itself calls."""
    import datetime as dt
    import random
    import uuid

    from django.utils import timezone
    from stdnum.cn import uscc

    from jiedao.sites import services
    from jiedao.sites.models import Refusal, Site, SitePass

    from .generate import SURNAME, person_name

    if Site.objects.filter(code="guangji-elevator").exists():
        return 0
    rng = random.Random(2020)
    responsible = get_user_model().objects.get(username="worker_zx")
    first17 = "91310106MA1FL7XK2"
    site = services.site_create(
        actor=responsible,
        fields={
            "code": "guangji-elevator", "name": "光机小区加装电梯", "neighbourhood": Neighbourhood.objects.get(code="guangji"),
            "place": "光机小区1号楼、3号楼", "builder_name": "上海申安电梯工程有限公司（示例）",
            "builder_uscc": first17 + uscc.calc_check_digit(first17), "manager_name": "陆建平", "manager_phone": "13700000001",
            "responsible": responsible, "responsible_phone": "13800000005", "committee_phone": "021-56330104",
            "work_hours": "周一至周六 8:00—17:00（12:00—13:00不施工）", "status": "working",
            "rules": "1. 施工人员凭出入证从小区东门进出，每天进场测温，体温37.3℃及以上或健康码不是绿码的不得进场。\n"
                     "2. 只在公示的施工时间内作业，噪声较大的工序避开午休时间。\n"
                     "3. 施工区域围挡封闭，不进入居民楼道；材料当天清运。\n"
                     "4. 有问题请找居委会或现场负责人。",
        },
    )  # fmt: skip
    today = timezone.localdate()
    start = today - dt.timedelta(days=6)
    passes = []
    for index, trade in enumerate(SITE_CREW):
        worker = services.worker_register(
            site=site, name=person_name(rng, "m", SURNAME(rng)), id_number=demo_id_number(f"19{rng.randrange(70, 99)}0{rng.randrange(1, 10)}1{rng.randrange(0, 9)}", 500 + index),
            phone=f"136{rng.randrange(10**8):08d}", trade=trade, health_code="green", signature="",
            registered_by="manager" if index < 6 else "self",
        )  # fmt: skip
        services.worker_sign_commitment(worker=worker, signature=worker.name)
        site_pass = SitePass.objects.get(worker=worker)
        passes.append(services.pass_approve(site_pass=site_pass, actor=responsible, valid_from=start, valid_until=start + dt.timedelta(days=29)))
    refused_day = today - dt.timedelta(days=3)
    for offset in range(7):
        day = start + dt.timedelta(days=offset)
        for index, site_pass in enumerate(passes):
            morning = timezone.make_aware(dt.datetime.combine(day, dt.time(7, 50))) + dt.timedelta(minutes=index)
            fever = day == refused_day and index == 4
            temperature = "37.6" if fever else f"36.{rng.randrange(2, 8)}"
            answer = services.gate_entry_record(site=site, key=uuid.uuid4(), pass_text=site_pass.number, direction="in",
                                                temperature=temperature, gate="东门", actor=responsible, now=morning)  # fmt: skip
            if answer.entry.outcome != "admitted" or day == today:
                continue
            evening = timezone.make_aware(dt.datetime.combine(day, dt.time(17, 5))) + dt.timedelta(minutes=index)
            services.gate_entry_record(site=site, key=uuid.uuid4(), pass_text=site_pass.number, direction="out",
                                       gate="东门", actor=responsible, now=evening)  # fmt: skip
    for refusal in Refusal.objects.filter(site=site):
        services.refusal_close(refusal=refusal, note="复测37.5℃，已劝离并提醒去发热门诊；次日复测正常后进场。", actor=responsible)
    return 1
# Enterprise outreach: the five the newsletter names and 25 more of the area, 29 of the 30 with a
# union of their own (单独建会); visited in March, given masks, sanitiser and tablets.
ENTERPRISES = [
    ("上海力德国际贸易有限公司", "商贸", "zhijiangxincun"),
    ("上海国信典当有限公司", "典当", "gonghexinlu"),
    ("上海祥先实业有限公司", "制造", "yongtai"),
    ("上海电能电气有限公司", "电气设备", "zhijiangxincun"),
    ("上海久兴物业管理有限公司", "物业", "gonghexinlu"),
]
MORE_ENTERPRISES = "华盛 永达 恒通 新源 瑞丰 金桥 宏远 东升 嘉禾 百联 安泰 明辉 信达 顺昌 天和 博雅 佳美 汇丰 长兴 正大 益民 光明 众合 隆盛 福源".split()


def load_enterprises() -> int:
    """The March visits of the newsletter's second article: the party secretary and the trade union
    at 30 enterprises, the needs they heard (masks and sanitiser above all), and the union's
    handouts from the ledger, through the service's own writes (the SMS a met need sends are not
    queued for demo contacts: those needs are closed directly)."""
    import datetime as dt
    import io
    import random

    from django.utils import timezone
    from PIL import Image, ImageDraw

    from jiedao.enterprises import ledger, services
    from jiedao.enterprises.models import Contact, Enterprise, Item, Need, NeedEvent, NeedStatus

    from .generate import SURNAME, person_name

    if Enterprise.objects.filter(name=ENTERPRISES[0][0]).exists():
        return 0
    from stdnum.cn import uscc

    rng = random.Random(2020)
    admin = get_user_model().objects.get(username="admin")
    staff_ids = list(get_user_model().objects.filter(username__in=["admin", "leader"]).values_list("pk", flat=True))
    year = timezone.localdate().year if timezone.localdate().month > 3 else timezone.localdate().year - 1
    hoods = {n.code: n for n in Neighbourhood.objects.all()}
    rows = list(ENTERPRISES) + [
        (f"上海{name}{rng.choice(['科技', '实业', '贸易', '服务'])}有限公司", rng.choice(["商贸", "制造", "餐饮", "服务", "信息技术"]),
         rng.choice(["zhijiangxincun", "gonghexinlu", "yongtai"]))
        for name in MORE_ENTERPRISES
    ]  # fmt: skip
    enterprises = []
    for serial, (name, sector, hood) in enumerate(rows, start=1):
        base = f"91310106MA1{serial:06d}"
        enterprise = Enterprise.objects.create(
            name=name, uscc=base + uscc.calc_check_digit(base), neighbourhood=hoods.get(hood), sector=sector,
            address=f"中兴路{1000 + serial * 7}号", size=rng.choice(["micro", "small", "small", "medium"]),
            union_separate=serial != 30,
        )  # fmt: skip
        Contact.objects.create(enterprise=enterprise, name=person_name(rng, rng.choice("mf"), SURNAME(rng)),
                               phone=f"136{rng.randrange(10**8):08d}", title="行政主管")  # fmt: skip
        enterprises.append(enterprise)
    masks = Item.objects.get_or_create(name="口罩", defaults={"unit": "只"})[0]
    gel = Item.objects.get_or_create(name="免洗洗手液", defaults={"unit": "瓶"})[0]
    tablets = Item.objects.get_or_create(name="消毒片", defaults={"unit": "盒"})[0]
    march = lambda day, hour=10: timezone.make_aware(dt.datetime(year, 3, day, hour))  # noqa: E731
    ledger.receipt_record(item=masks, quantity=20000, source="区总工会", actor=admin, now=march(2))
    ledger.receipt_record(item=gel, quantity=800, source="区总工会", actor=admin, now=march(2))
    ledger.receipt_record(item=tablets, quantity=400, source="爱心企业捐赠", actor=admin, now=march(3))
    signature = Image.new("LA", (300, 100), (0, 0))
    ImageDraw.Draw(signature).line([(20, 70), (90, 30), (160, 75), (280, 35)], fill=(0, 255), width=4)
    png = io.BytesIO()
    signature.save(png, format="PNG")
    for index, enterprise in enumerate(enterprises):
        day = 3 + index % 20
        visit = services.visit_record(
            enterprise=enterprise, actor=admin, visited_on=dt.date(year, 3, day), staff_ids=staff_ids,
            visitors="街道党工委书记、街道工会", notes="了解复工复产情况：员工陆续返岗，防疫物资紧缺。",
            needs=[services.NeedIn(kind="supplies", detail="口罩、免洗洗手液", quantity=500, due_on=dt.date(year, 3, day + 5),
                                   owner_office="街道工会", owner_phone="13800000001")]
            + ([services.NeedIn(kind=rng.choice(["policy", "staffing", "funding"]), detail=rng.choice(["稳岗补贴政策咨询", "招工用工", "房租减免"]),
                                due_on=dt.date(year, 4, 10), owner_office="街道营商办", owner_phone="13800000002")] if index % 3 == 0 else []),
            now=march(day),
        )  # fmt: skip
        if not enterprise.union_separate:
            continue
        need = visit.needs.get(kind="supplies")
        for item, quantity in ((masks, rng.choice([400, 500, 600])), (gel, rng.choice([10, 20])), (tablets, 10)):
            ledger.handout_record(item=item, quantity=quantity, enterprise=enterprise, need=need, received_by=enterprise.primary_contact.name,
                                  actor=admin, signature_png=png.getvalue(), now=march(min(day + 2, 31), 14))  # fmt: skip
        Need.objects.filter(pk=need.pk).update(status=NeedStatus.MET, closed_at=march(min(day + 2, 31), 15))
        NeedEvent.objects.create(need=need, from_status=NeedStatus.OPEN, to_status=NeedStatus.MET, actor=admin, at=march(min(day + 2, 31), 15))
    return len(enterprises)


def demo_load(*, with_samples: bool = True) -> dict:
    refuse_in_production()
    with transaction.atomic():
        programme = load_places()
        logins = load_staff()
    created = load_samples(programme) if with_samples else 0
    if with_samples:
        load_activities()
        load_rosters()
        load_ratings()
        load_bulletins()
        load_news()
        load_sites()
        load_enterprises()
    tallies_rebuild()  # also brings the counts of data loaded before the tallies existed up to date
    return {"programme": programme, "logins": logins, "samples_created": created}
