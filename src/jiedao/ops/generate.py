"""Generated applications at city scale: ``jiedao demo generate --applications N``.

For benchmarks and demonstrations with a realistic amount of data: a million applications in
about 7½ minutes on SQLite and 5 on PostgreSQL on a 2-core machine that nothing else is using
(bench/RESULTS.md). Nothing here is used by the running service.

Design
- **Looks real.** Surnames drawn with the weights of China's census (王 李 张 刘 陈 …), given
  names of one or two characters common for people born 1930–1975 (by sex), valid resident ID
  numbers (Shanghai region codes, birth dates 1930–1975, the sequence's parity matching the sex,
  the check character of ``lib.validators.id_check_char``), mainland mobiles, addresses on the
  roads of each neighbourhood with lane, number and room, 1–2 categories (独居老人 only for people
  aged 60 or more), channels (online most, then family proxies and phone guidance, some home
  visits and counter filings; the oldest residents use a proxy or a home visit more often).
- **Consistent.** Each case's history is a walk through ``lifecycle.TRANSITIONS`` from
  ``submitted``: the target of every step is read from that table, times increase, staff steps
  happen in office hours and are taken by the demo reviewer, a step that would lie in the future
  is not taken (so a case submitted an hour ago is still ``submitted``). ``decided_at`` is the
  approval or rejection, payment fields are set for ``paid``, the requested documents for
  ``needs_more``, and ``updated_at`` is the last step's time.
- **References** ``CODE-YEAR-NNNNNNN`` follow submission order. The numbers are reserved on the
  programme's ``ReferenceCounter`` (per Shanghai year) *before* the first row is written, with the
  same ``UPDATE … SET last = last + n`` the service uses, so a real submission during or after the
  run takes the next free number and never collides.
- **ID numbers are unique** across the whole table: the keyed hashes of the ones already there are read
  first (the numbers themselves are encrypted, see ``lib.crypto``), and a
  drawn number that is taken is drawn again.
- **Fast.** This process plans the applications as plain rows (``Planned``); they are written
  with ``bulk_create`` in batches of ``batch_size`` applications, one transaction per batch
  (applications with their categories, history, one document page and the requested documents),
  never ``save()`` per row. Django's INSERT compilation costs more than the planning and more
  than the database itself, so with ``workers`` > 1 forked writer processes do it while this one
  plans the next batches (SQLite: one writer at a time, behind a lock; PostgreSQL: side by
  side). Pinyin is cached per name (a few thousand distinct names). No SMS notice is queued and
  no audit entry is written: nobody acted. At the end ``tallies_rebuild`` recomputes the
  dashboard's running counts for the programme, and on PostgreSQL ``ANALYZE`` refreshes the
  planner's statistics (see ``refresh_planner_statistics``).
- **Documents** are one page per application (page 1 of the first common document, the ID card)
  pointing at one of a handful of small real JPEGs made once per run with
  ``sample_photos`` + ``process_photo`` and stored with ``photo_store``.
- **Deterministic**: the same seed, programme, starting database and ``now`` give the same
  applications. The draw also depends on how many applications the programme already has, so a
  second run with the same seed adds different people rather than the same names again.
"""

from __future__ import annotations

import bisect
import collections
import contextlib
import datetime as dt
import io
import itertools
import multiprocessing
import os
import random
import re
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, connections, transaction
from django.db.models import F, OuterRef, Subquery

from jiedao.core.models import Role, StaffProfile
from jiedao.intake.lifecycle import TRANSITIONS, Action, Status
from jiedao.intake.models import (
    Application,
    ApplicationEvent,
    CategoryTally,
    Channel,
    DecisionTally,
    Document,
    PaymentMethod,
    Programme,
    ReferenceCounter,
    StatusTally,
    SubmissionTally,
    Via,
)
from jiedao.intake.photos import process_photo
from jiedao.intake.services import name_pinyin, photo_store
from jiedao.intake.tallies import tallies_rebuild
from jiedao.lib.crypto import id_hash
from jiedao.lib.sql import insert_sql
from jiedao.lib.validators import id_check_char

from .sample_photos import sample_document_photo

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC_OFFSET = 8 * 3600  # Shanghai has kept UTC+8 all year since 1991
DAY = 86400
HOUR = 3600

# ---------------------------------------------------------------------------------------------
# What real applicants look like

# Surnames: share of the population in ‰, after the 2020 census (the first hundred, rounded).
SURNAMES = """
王71 李70 张64 刘54 陈46 杨31 黄24 赵22 吴20 周19 徐15 孙15 马13 朱13 胡12 郭12 何11 林11 高10
罗10 郑9 梁9 谢8 宋7 唐7 许7 韩6 冯6 邓6 曹6 彭6 曾5 肖5 田5 董5 袁5 潘5 于5 蒋5 蔡5 余5 杜5
叶4 程4 苏4 魏4 吕4 丁4 任4 沈4 姚3 卢3 姜3 崔3 钟3 谭3 陆3 汪3 范3 金3 石3 廖3 贾3 夏3 韦3
付3 方3 白3 邹3 孟3 熊3 秦3 邱3 江3 尹3 薛2 闫2 段2 雷2 侯2 龙2 史2 陶2 黎2 贺2 顾2 毛2 郝2
龚2 邵2 万2 钱2 严2 覃2 武2 戴2 莫2 孔2 向2 汤2 施1 欧阳0.5
"""
# Given names common for people born 1930–1975: whole two-character names, and single ones.
GIVEN_NAMES = {
    "m": """建国 建华 国强 国华 志明 志强 德明 德华 永康 永明 卫东 卫国 文华 文明 金宝 金根 福生
            根宝 荣根 海林 海平 建平 建中 立新 新民 明华 振华 家明 伟民 伟国 庆华 国平 耀华 永昌
            宝林 正华 长根 秋生 龙生 阿毛 小弟 志远 德兴 惠民 宏伟 建新 国庆 跃进 红兵 克勤""",
    "f": """秀英 桂英 秀兰 玉兰 桂兰 凤英 玉珍 美华 丽华 淑珍 桂珍 秀珍 素珍 凤珍 秀芳 美英 月英
            金妹 阿妹 小妹 丽娟 美娟 惠芳 建英 红英 爱华 爱珍 佩华 佩芳 雪英 梅英 菊英 兰英 琴芳
            文娟 杏娣 招娣 彩凤 玉梅 雅芳 慧敏 晓红 卫红 红梅 丽萍 燕萍 敏华 国英 春花 根娣""",
}
SINGLE_NAMES = {"m": "伟 强 军 勇 明 华 平 刚 杰 斌 忠 林 荣 彪 毅 俊 福", "f": "英 兰 芳 珍 萍 敏 红 娟 琴 霞 燕 玲 梅 凤 丽 秀"}
SINGLE_NAME_SHARE = 0.2

# Region codes of the ID numbers, weighted: the former 闸北 district (芷江西路 was in it until
# 2015), 静安, 虹口 and 黄浦.
REGIONS = (("310108", 60), ("310106", 15), ("310109", 15), ("310101", 10))
BIRTH_FIRST, BIRTH_LAST = dt.date(1930, 1, 1), dt.date(1975, 12, 31)

MOBILE_PREFIXES = "139 138 137 136 135 134 150 151 152 158 159 130 131 132 155 156 186 185 133 153 180 189 177 181 199".split()

# The roads of each neighbourhood, around 芷江西路.
ROADS = {
    "zhijiangxincun": ("芷江中路", "芷江西路", "柳营路"),
    "gonghexinlu": ("共和新路", "大统路", "芷江西路"),
    "yongtai": ("永太路", "永兴路", "中兴路"),
    "guangji": ("光复路", "共和新路", "大统路"),
    "zhongxing": ("中兴路", "西藏北路", "太阳山路"),
}
ALL_ROADS = ("芷江西路", "中兴路", "共和新路", "芷江中路", "永太路", "光复路", "大统路")

HOUSEHOLD_NOTES = (
    "独居，子女在外地工作。",
    "老两口同住，老伴常年卧床。",
    "儿子残疾，与申请人同住。",
    "租住亭子间，家中无其他收入。",
    "退休工资较低，长期看病开销大。",
    "孙子在读书，由申请人照顾。",
)

# Channel weights; residents of 75 or more use a family proxy or a home visit more often.
CHANNELS = {"younger": {Channel.ONLINE: 46, Channel.PROXY: 20, Channel.PHONE: 17, Channel.HOME_VISIT: 8, Channel.COUNTER: 9},
            "older": {Channel.ONLINE: 22, Channel.PROXY: 36, Channel.PHONE: 18, Channel.HOME_VISIT: 16, Channel.COUNTER: 8}}  # fmt: skip
STAFF_CHANNELS = frozenset({Channel.PHONE, Channel.HOME_VISIT, Channel.COUNTER})
RELATIONSHIPS = (("child", 60), ("grandchild", 12), ("spouse", 10), ("relative", 8), ("sibling", 5), ("other", 5))
CATEGORY_WEIGHTS = {"dibao": 35, "elderly_alone": 30, "disabled": 20, "serious_illness": 15}
TWO_CATEGORIES_SHARE = 0.3

# The way each case is meant to go; a step that would lie after `now` is not taken.
PATHS = (
    (30, ("start_review", "approve", "record_payment")),
    (16, ("start_review", "approve")),
    (5, ("start_review", "request_more", "resubmit", "start_review", "approve", "record_payment")),
    (8, ("start_review", "reject")),
    (2, ("start_review", "request_more", "resubmit", "start_review", "reject")),
    (6, ("start_review", "request_more")),
    (3, ("start_review", "request_more", "resubmit")),
    (12, ("start_review",)),
    (12, ()),
    (4, ("withdraw",)),
    (2, ("start_review", "withdraw")),
)
# Hours after the previous step: (least, most).
STEP_HOURS = {
    "start_review": (2, 96),
    "request_more": (1, 48),
    "resubmit": (12, 240),
    "approve": (4, 240),
    "reject": (4, 240),
    "record_payment": (48, 480),
    "withdraw": (2, 200),
}
STAFF_ACTIONS = frozenset({"start_review", "request_more", "approve", "reject", "record_payment", "withdraw"})
REQUESTS = (  # what staff ask for, and the note the resident reads
    ("hukou", "户口簿上没有申请人本人那一页，请补拍户口簿首页和本人页。"),
    ("id_card", "身份证反面照片看不清，请重新拍摄身份证正反面。"),
    ("bank_card", "银行卡号看不清，请重新拍摄银行卡正面。"),
)
REJECTIONS = (
    "经核对，申请人不在本次旧改地块的登记名单内。",
    "经核对，家庭收入超过帮困补助的标准。",
    "申请人已在其他项目中享受同类补助。",
)
WITHDRAWAL_NOTE = "申请人来电要求撤回申请。"
PAYMENTS = ((Decimal("3000.00"), 60), (Decimal("2000.00"), 25), (Decimal("5000.00"), 15))
PAYMENT_METHODS = ((PaymentMethod.BANK_TRANSFER, 92), (PaymentMethod.CASH, 6), (PaymentMethod.OTHER, 2))


class Weighted:
    """A fast weighted choice from (value, weight) pairs."""

    def __init__(self, pairs):
        pairs = list(pairs)
        self.values = [value for value, _weight in pairs]
        self.cumulative = list(itertools.accumulate(weight for _value, weight in pairs))

    def __call__(self, rng: random.Random):
        return self.values[bisect.bisect(self.cumulative, rng.random() * self.cumulative[-1])]


SURNAME = Weighted((name, float(share)) for name, share in re.findall(r"(\S+?)([\d.]+)", SURNAMES))
GIVEN = {sex: names.split() for sex, names in GIVEN_NAMES.items()}
SINGLE = {sex: names.split() for sex, names in SINGLE_NAMES.items()}
REGION = Weighted(REGIONS)
CHANNEL = {age: Weighted(weights.items()) for age, weights in CHANNELS.items()}
RELATIONSHIP = Weighted(RELATIONSHIPS)
PATH = Weighted((path, weight) for weight, path in PATHS)
PAYMENT = Weighted(PAYMENTS)
PAYMENT_METHOD = Weighted(PAYMENT_METHODS)


# ---------------------------------------------------------------------------------------------
# The programme and its surroundings


@dataclass
class Setting:
    """What every generated application refers to, read once (ids, so that rows stay plain)."""

    programme: Programme
    neighbourhoods: list  # (Neighbourhood id, its roads)
    block_ids: list
    categories: Weighted  # of Category ids
    elderly_alone_id: int | None
    document_type_id: int
    requests: list  # (DocumentType id, note)
    photos: list  # (stored name, width, height, size)
    reviewer_id: int
    workers: dict  # Neighbourhood id -> the committee worker's user id
    taken_ids: set = field(default_factory=set)  # taken_key() of every ID number in the table


def programme_for_generation(code: str) -> Programme:
    """The programme to fill; the demo places and staff are loaded first if it does not exist."""
    from .demo import PROGRAMME_CODE, load_places, load_staff

    programme = Programme.objects.filter(code=code).first()
    if programme is None and code == PROGRAMME_CODE:
        with transaction.atomic():
            programme = load_places()
            load_staff()
    if programme is None:
        raise ValueError(f"no programme with code {code!r}")
    if not get_user_model().objects.filter(username="reviewer").exists():
        load_staff()
    return programme


def _setting(programme: Programme, seed: int) -> Setting:
    neighbourhoods = list(programme.neighbourhoods.order_by("id"))
    blocks = list(programme.blocks.order_by("id"))
    categories = list(programme.categories.order_by("order", "id"))
    documents = {d.code: d for d in programme.document_types.all()}
    common = list(programme.common_documents.order_by("order", "id")) or list(documents.values())
    if not (neighbourhoods and blocks and categories and common):
        raise ValueError(f"programme {programme.code} has no neighbourhoods, blocks, categories or documents")
    requests = [(documents[code].id, note) for code, note in REQUESTS if code in documents]
    requests = requests or [(common[0].id, REQUESTS[1][1])]
    workers = {}
    for profile in StaffProfile.objects.filter(role=Role.WORKER).prefetch_related("neighbourhoods").order_by("id"):
        for neighbourhood in profile.neighbourhoods.all():
            workers.setdefault(neighbourhood.id, profile.user_id)
    elderly = next((c for c in categories if c.code == "elderly_alone"), None)
    return Setting(
        programme=programme,
        neighbourhoods=[(n.id, ROADS.get(n.code, ALL_ROADS)) for n in neighbourhoods],
        block_ids=[b.id for b in blocks],
        categories=Weighted((c.id, CATEGORY_WEIGHTS.get(c.code, 20)) for c in categories),
        elderly_alone_id=elderly.id if elderly else None,
        document_type_id=common[0].id,
        requests=requests,
        photos=_shared_photos(seed),
        reviewer_id=get_user_model().objects.get(username="reviewer").id,
        workers=workers,
        taken_ids=_taken_id_numbers(),
    )


def _shared_photos(seed: int, how_many: int = 4) -> list[tuple[str, int, int, int]]:
    """A handful of small real JPEGs, made and stored once per run.

    Every generated application points at one of these files: many Document rows share one
    stored file, which the real service never does (it stores every upload under its own name).
    Nothing deletes a Document's file when a row goes, and a draft purge only deletes files no
    Document uses, so the sharing is safe.
    """
    photos = []
    for n in range(how_many):
        raw = sample_document_photo("id_front", seed=seed * 10 + n, size=(800, 500))
        processed = process_photo(io.BytesIO(raw))
        photos.append((photo_store(processed), processed.width, processed.height, len(processed.content)))
    return photos


def taken_key(number: str) -> int:
    """An ID number's place in the taken set: 64 bits of its keyed hash (a collision only means
    one more draw). Stored numbers are encrypted, so the table is read by hash, never decrypted."""
    return int(id_hash(number)[:16], 16)


def _taken_id_numbers() -> set[int]:
    return {int(digest[:16], 16) for digest in Application.objects.values_list("id_number_hash", flat=True).iterator(chunk_size=20_000)
            if digest}  # fmt: skip


# ---------------------------------------------------------------------------------------------
# When: submission times and references


def submission_window(programme: Programme, now: dt.datetime) -> tuple[float, float]:
    """The programme's window up to now, as timestamps: from its first day's local midnight."""
    start = dt.datetime.combine(programme.opens_on, dt.time.min, SHANGHAI).timestamp()
    end = dt.datetime.combine(programme.closes_on + dt.timedelta(days=1), dt.time.min, SHANGHAI).timestamp()
    end = min(end, now.timestamp())
    if end - start < HOUR:
        raise ValueError(f"programme {programme.code} has not been open for an hour yet: nothing to generate")
    return start, end


# Applications per hour of the day (local time): the day starts early, with a lull at lunch.
HOURLY = (0, 0, 0, 0, 0, 1, 3, 8, 14, 16, 15, 12, 8, 10, 13, 12, 10, 9, 10, 11, 9, 6, 3, 1)
HOUR_OF_DAY = Weighted(enumerate(HOURLY))


def submission_times(rng: random.Random, start: float, end: float, count: int) -> list[float]:
    """``count`` sorted timestamps in [start, end): a rush in the first days, calmer later, by
    the hour of the day residents apply at."""
    days = int((end - start) // DAY) + 1
    # The first week gets the rush of a newly opened programme, decaying to a steady level.
    day_weights = [(d, (1.0 + 3.0 * 0.75**d) * min(1.0, (end - start - d * DAY) / DAY)) for d in range(days)]
    pick_day = Weighted([(d, w) for d, w in day_weights if w > 0])
    times = []
    while len(times) < count:
        t = start + pick_day(rng) * DAY + HOUR_OF_DAY(rng) * HOUR + rng.random() * HOUR
        if t < end:  # today's hours still to come are drawn again
            times.append(t)
    times.sort()
    return times


def reserve_references(programme: Programme, years: list[int]) -> dict[int, int]:
    """Take ``years.count(year)`` numbers from the counter of each year; return the first of each."""
    first = {}
    with transaction.atomic():
        for year in sorted(set(years)):
            wanted = years.count(year)
            ReferenceCounter.objects.get_or_create(programme=programme, year=year)
            ReferenceCounter.objects.filter(programme=programme, year=year).update(last=F("last") + wanted)
            last = ReferenceCounter.objects.get(programme=programme, year=year).last
            first[year] = last - wanted + 1
    return first


def local_year(ts: float) -> int:
    return dt.datetime.fromtimestamp(ts, SHANGHAI).year


# ---------------------------------------------------------------------------------------------
# Who: people, their ID numbers and phones


def person_name(rng: random.Random, sex: str, surname: str) -> str:
    if rng.random() < SINGLE_NAME_SHARE:
        return surname + rng.choice(SINGLE[sex])
    return surname + rng.choice(GIVEN[sex])


def id_number(rng: random.Random, birth: dt.date, sex: str, taken: set[int]) -> str:
    """A valid, not yet used ID number: the 17th digit is odd for men, even for women."""
    for _attempt in range(50):
        serial = rng.randrange(100) * 10 + rng.randrange(5) * 2 + (1 if sex == "m" else 0)
        first17 = f"{REGION(rng)}{birth:%Y%m%d}{serial:03d}"
        number = first17 + id_check_char(first17)
        if (key := taken_key(number)) not in taken:
            taken.add(key)
            return number
    raise RuntimeError("could not find a free ID number")  # not with 46 years of birthdays


def mobile(rng: random.Random) -> str:
    return f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"


def address(rng: random.Random, roads: tuple[str, ...]) -> tuple[str, str, str, str]:
    """Road, lane, number, room: lane houses (石库门) often have no room number."""
    lane = str(rng.randint(1, 1500)) if rng.random() < 0.7 else ""
    number = str(rng.randint(1, 80) if lane else rng.randint(1, 1800))
    room = f"{rng.randint(1, 6)}{rng.randint(1, 4):02d}" if rng.random() < 0.55 else ""
    return rng.choice(roads), lane, number, room


# ---------------------------------------------------------------------------------------------
# How: a case's history


@dataclass
class Step:
    at: float
    action: str
    from_status: str
    to_status: str
    note: str = ""
    requested: int | None = None  # document type asked for


def office_hours(ts: float, rng: random.Random) -> float:
    """The same moment if it falls in office hours (Mon–Fri 9:00–17:30 Shanghai), else a moment
    early on the next working day."""
    local = ts + UTC_OFFSET
    day, second = divmod(local, DAY)
    weekday = (int(day) + 3) % 7  # 1 January 1970 was a Thursday
    if weekday < 5 and 9 * HOUR <= second < 17.5 * HOUR:
        return ts
    day += 1 if second >= 9 * HOUR else 0
    while (int(day) + 3) % 7 >= 5:
        day += 1
    return day * DAY - UTC_OFFSET + 9 * HOUR + rng.random() * 3 * HOUR


def history(rng: random.Random, setting: Setting, submitted: float, now: float, staff_filed: bool) -> list[Step]:
    """The steps after submission, each from ``TRANSITIONS``; none after ``now``. Staff work in
    office hours, including sending pages in for a resident they filed for."""
    steps, status, at = [], Status.SUBMITTED, submitted
    for action in PATH(rng):
        least, most = STEP_HOURS[action]
        at = at + rng.uniform(least, most) * HOUR
        if action in STAFF_ACTIONS or (action == Action.RESUBMIT and staff_filed):
            at = office_hours(at, rng)
        if at >= now:
            break
        sources, target = TRANSITIONS[action]
        assert status in sources, (status, action)
        step = Step(at, action, status, target)
        if action == Action.REQUEST_MORE:
            step.requested, step.note = rng.choice(setting.requests)
        elif action == Action.REJECT:
            step.note = rng.choice(REJECTIONS)
        elif action == Action.WITHDRAW:
            step.note = WITHDRAWAL_NOTE
        steps.append(step)
        status = target
    return steps


# ---------------------------------------------------------------------------------------------
# One application: plain rows, cheap to send to a writer process


@dataclass
class Planned:
    """One application's rows, by column (``*_id`` for foreign keys), without database ids."""

    application: dict
    category_ids: list[int]
    events: list[dict]
    document: dict
    missing_document_id: int | None


_pinyin_cache: dict[str, tuple[str, str]] = {}


def cached_pinyin(name: str) -> tuple[str, str]:
    if name not in _pinyin_cache:
        _pinyin_cache[name] = name_pinyin(name)
    return _pinyin_cache[name]


def aware(ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc)


def plan_application(rng: random.Random, setting: Setting, reference: str, submitted_ts: float, now_ts: float) -> Planned:
    sex = "f" if rng.random() < 0.58 else "m"  # more elderly women than men
    birth = dt.date.fromordinal(rng.randint(BIRTH_FIRST.toordinal(), BIRTH_LAST.toordinal()))
    submitted = aware(submitted_ts)
    age = submitted.year - birth.year
    surname = SURNAME(rng)
    name = person_name(rng, sex, surname)
    pinyin, initials = cached_pinyin(name)
    number = id_number(rng, birth, sex, setting.taken_ids)
    neighbourhood_id, roads = rng.choice(setting.neighbourhoods)
    road, lane, house, room = address(rng, roads)

    category_ids: list[int] = []
    while len(category_ids) < (2 if rng.random() < TWO_CATEGORIES_SHARE else 1):
        category_id = setting.categories(rng)
        if category_id == setting.elderly_alone_id and age < 60:
            continue
        if category_id not in category_ids:
            category_ids.append(category_id)

    channel = CHANNEL["older" if age >= 75 else "younger"](rng)
    staff_filed = channel in STAFF_CHANNELS
    filed_by_id = setting.workers.get(neighbourhood_id, setting.reviewer_id) if staff_filed else None
    proxy_name = proxy_phone = proxy_relationship = ""
    if channel == Channel.PROXY:
        proxy_relationship = RELATIONSHIP(rng)
        family = proxy_relationship in ("child", "grandchild") and rng.random() < 0.7
        proxy_name = person_name(rng, rng.choice("mf"), surname if family else SURNAME(rng))
        proxy_phone = mobile(rng)

    steps = history(rng, setting, submitted_ts, now_ts, staff_filed=staff_filed)
    status = steps[-1].to_status if steps else Status.SUBMITTED
    decided = next((s.at for s in steps if s.to_status in (Status.APPROVED, Status.REJECTED)), None)
    paid = next((s.at for s in steps if s.to_status == Status.PAID), None)
    application = {
        "reference": reference,
        "programme_id": setting.programme.id,
        "status": status,
        "applicant_name": name,
        "name_pinyin": pinyin,
        "name_initials": initials,
        "id_number": number,  # encrypted and hashed by Application's setter, in the writer process
        "phone": mobile(rng),
        "address_road": road,
        "address_lane": lane,
        "address_number": house,
        "address_room": room,
        "neighbourhood_id": neighbourhood_id,
        "block_id": rng.choice(setting.block_ids),
        "household_note": rng.choice(HOUSEHOLD_NOTES) if rng.random() < 0.25 else "",
        "channel": channel,
        "proxy_name": proxy_name,
        "proxy_phone": proxy_phone,
        "proxy_relationship": proxy_relationship,
        "filed_by_id": filed_by_id,
        "consent_version": settings.JIEDAO_CONSENT_VERSION,
        "consent_at": submitted,
        "sensitive_consent_at": submitted,
        "submitted_at": submitted,
        "decided_at": aware(decided) if decided else None,
    }
    if paid:
        application["paid_amount"] = PAYMENT(rng)
        application["paid_on"] = dt.datetime.fromtimestamp(paid, SHANGHAI).date()
        application["payment_method"] = PAYMENT_METHOD(rng)

    events = [{"at": submitted, "from_status": "", "to_status": Status.SUBMITTED, "actor_id": filed_by_id, "channel": channel}]
    for step in steps:
        actor_id, via = setting.reviewer_id, Via.BACK_OFFICE
        if step.action == Action.RESUBMIT and not staff_filed:
            actor_id, via = None, channel  # the resident (or the family) sent the pages in
        elif step.action == Action.RESUBMIT:
            actor_id = filed_by_id  # the committee worker who filed it sends them in for the resident
        events.append({"at": aware(step.at), "from_status": step.from_status, "to_status": step.to_status,
                       "actor_id": actor_id, "channel": via, "note": step.note})  # fmt: skip
    photo, width, height, size = rng.choice(setting.photos)
    document = {"document_type_id": setting.document_type_id, "page": 1, "file": photo, "width": width,
                "height": height, "size": size, "created_at": submitted}  # fmt: skip
    missing = steps[-1].requested if status == Status.NEEDS_MORE else None
    return Planned(application, category_ids, events, document, missing)


# ---------------------------------------------------------------------------------------------
# Writing a batch: here or in writer processes

# Set in writer processes that share one SQLite file: one writer at a time holds it, so that a
# waiting writer blocks on this lock instead of polling SQLite's busy handler.
_write_lock = None


def write_batch(batch: list[Planned]) -> int:
    """One transaction: the applications, then everything that points at them. The rows are
    built before the transaction; only the ids of the applications are filled in inside it."""
    CategoryLink = Application.categories.through
    MissingLink = Application.missing_documents.through
    applications = [Application(**p.application) for p in batch]
    for application, planned in zip(applications, batch, strict=True):
        application.updated_at = max(event["at"] for event in planned.events)  # its last step's
    children = [
        (CategoryLink, [[CategoryLink(category_id=c) for c in p.category_ids] for p in batch]),
        (MissingLink, [[MissingLink(documenttype_id=p.missing_document_id)] if p.missing_document_id else [] for p in batch]),
        (ApplicationEvent, [[ApplicationEvent(**event) for event in p.events] for p in batch]),
        (Document, [[Document(**p.document)] for p in batch]),
    ]
    if connection.vendor == "sqlite":
        return _write_batch_sqlite(applications, children)
    with transaction.atomic():
        Application.objects.bulk_create(applications, batch_size=1000)
        if any(a.pk is None for a in applications):  # a database without INSERT … RETURNING
            ids = dict(Application.objects.filter(reference__in=[a.reference for a in applications]).values_list("reference", "id"))
            for a in applications:
                a.pk = ids[a.reference]
        for model, rows in children:
            model.objects.bulk_create(_link(applications, rows), batch_size=2000)
        # bulk_create stamped updated_at (auto_now) with this moment: back to the last step's.
        last_step = ApplicationEvent.objects.filter(application=OuterRef("pk")).order_by("-at", "-id").values("at")[:1]
        Application.objects.filter(pk__in=[a.pk for a in applications]).update(updated_at=Subquery(last_step))
    return len(batch)


def _write_batch_sqlite(applications: list[Application], children: list[tuple[type, list[list]]]) -> int:
    """SQLite lets one writer in at a time, so the writers take turns (``_write_lock``) and the
    rate is what one writer does while holding it. Everything but the database's own work is done
    before taking it: each row's values prepared as Django's bulk_create would (it compiled them
    under the lock: half a writer's time), then, holding it, the applications' ids are the next
    ones of the table and the rows go in with one executemany per table."""
    quote = connection.ops.quote_name

    def values(obj, fields) -> list:
        return [field.get_db_prep_save(field.pre_save(obj, True) if field.attname != "updated_at" else obj.updated_at, connection)
                for field in fields]  # fmt: skip

    application_fields = [f for f in Application._meta.concrete_fields if not f.primary_key]
    application_rows = [values(a, application_fields) for a in applications]
    child_inserts = []
    for model, per_application in children:
        fields = [f for f in model._meta.concrete_fields if not f.primary_key and f.attname != "application_id"]
        rows = [(index, values(child, fields)) for index, kids in enumerate(per_application) for child in kids]
        child_inserts.append((insert_sql(model, [model._meta.get_field("application"), *fields]), rows))
    table = Application._meta.db_table
    with _write_lock or contextlib.nullcontext(), transaction.atomic(), connection.cursor() as cursor:
        # AUTOINCREMENT never hands out an id again, even of a deleted row: neither do we.
        cursor.execute(
            f"SELECT MAX(COALESCE((SELECT MAX(id) FROM {quote(table)}), 0),"
            " COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0))",
            [table],
        )
        first = cursor.fetchone()[0] + 1
        cursor.executemany(
            insert_sql(Application, [Application._meta.pk, *application_fields]),
            [(first + index, *row) for index, row in enumerate(application_rows)],
        )
        for sql, rows in child_inserts:
            cursor.executemany(sql, [(first + index, *row) for index, row in rows])
    return len(applications)


def _link(applications: list[Application], children_per_application: list[list]) -> list:
    """Point each child row at its application, now that it has an id; the rows, flattened."""
    rows = []
    for application, children in zip(applications, children_per_application, strict=True):
        for child in children:
            child.application_id = application.pk
            rows.append(child)
    return rows


def _writer_start(lock) -> None:
    """In a new writer process: its own database connection (the parent's was closed before the
    fork), and the bigger SQLite cache."""
    global _write_lock
    _write_lock = lock
    connections.close_all()
    _roomier_sqlite_cache()


def _roomier_sqlite_cache() -> None:
    """SQLite's page cache defaults to 2 MiB per connection; the ten indexes of a million
    applications take hundreds. A bigger cache for this connection only keeps the random index
    inserts (pinyin, phone, ID digits) in memory."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -524288")  # KiB: 512 MiB


class Writers:
    """Where batches are written: in this process (``workers=1``, e.g. inside a test's
    transaction), or by a pool of forked processes while this one plans the next batches.

    Django's INSERT compilation costs more than planning and more than the database's own work.
    With SQLite the writers take turns (one lock), and while one writes, the other builds its
    model instances and this process plans; with PostgreSQL they insert side by side.
    """

    def __init__(self, workers: int):
        self.pool = None
        self.pending: collections.deque = collections.deque()
        self.workers = workers
        if workers > 1:
            connections.close_all()  # a forked child must never use the parent's connection
            context = multiprocessing.get_context("fork")
            lock = context.Lock() if connection.vendor == "sqlite" else None
            self.pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_writer_start, initargs=(lock,))

    def write(self, batch: list[Planned]) -> int:
        """Write (or queue) a batch; return how many applications were finished meanwhile."""
        if self.pool is None:
            return write_batch(batch)
        self.pending.append(self.pool.submit(write_batch, batch))
        done = 0
        while len(self.pending) > 2 * self.workers or (self.pending and self.pending[0].done()):
            done += self.pending.popleft().result()  # also raises a writer's error here
        return done

    def finish(self) -> int:
        done = 0
        while self.pending:
            done += self.pending.popleft().result()
        return done

    def close(self) -> None:
        if self.pool is not None:
            for future in self.pending:
                future.cancel()
            self.pool.shutdown(wait=True)


# ---------------------------------------------------------------------------------------------
# The whole run


def refresh_planner_statistics() -> None:
    """ANALYZE the tables just filled, on PostgreSQL, as its documentation advises after a bulk load.

    The planner picks plans from statistics that ANALYZE gathers. Straight after a bulk load they
    describe nearly empty tables, or nothing at all where autovacuum is off (as on the CI and
    development machines here), and the planner then scans whole tables where an index serves:
    measured on a million applications, the Excel export's category look-up (2,000 ids at a time)
    became a sequential scan of 1.2 million rows per chunk, 5 s of a 19 s export. A live
    database grows slowly and autovacuum keeps its statistics current; this brings a generated
    one to the same state. SQLite keeps no statistics unless asked, like a live SQLite database.
    """
    if connection.vendor != "postgresql":
        return
    models = (Application, Application.categories.through, Application.missing_documents.through, ApplicationEvent,
              Document, SubmissionTally, CategoryTally, StatusTally, DecisionTally)  # fmt: skip
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


@dataclass
class Generated:
    programme: Programme
    count: int
    first_reference: str
    last_reference: str
    seconds: float
    rows_seconds: float  # writing the applications, without the tallies and the statistics

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else float("inf")


def default_workers() -> int:
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def generate_applications(
    *,
    programme: Programme,
    count: int,
    seed: int = 2020,
    now: dt.datetime | None = None,
    batch_size: int = 2000,
    workers: int = 1,
    progress: Callable[[int, int, float], None] | None = None,
) -> Generated:
    """Add ``count`` generated applications to ``programme``; see the module's docstring.

    ``workers`` > 1 writes from forked processes, so the rows must be visible to other
    connections: not inside an open transaction (a test's, for instance).
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    if settings.PRODUCTION:
        raise PermissionError("generated applications are never written into production (JIEDAO_ENV=production)")
    started = time.perf_counter()
    now_ts = (now or dt.datetime.now(dt.timezone.utc)).timestamp()
    existing = Application.objects.filter(programme=programme).count()
    rng = random.Random(f"jiedao-generate:{seed}:{programme.code}:{existing}")
    setting = _setting(programme, seed)

    start, end = submission_window(programme, aware(now_ts))
    times = submission_times(rng, start, end, count)
    years = [local_year(t) for t in times]
    next_sequence = reserve_references(programme, years)
    code = programme.code.upper()
    references = []
    for year in years:
        references.append(f"{code}-{year}-{next_sequence[year]:07d}")
        next_sequence[year] += 1

    _roomier_sqlite_cache()
    writers = Writers(workers)
    done = 0
    try:
        for offset in range(0, count, batch_size):
            batch = [
                plan_application(rng, setting, references[i], times[i], now_ts)
                for i in range(offset, min(offset + batch_size, count))
            ]
            done += writers.write(batch)
            if progress:
                progress(done, count, time.perf_counter() - started)
        if writers.pending:
            done += writers.finish()
            if progress:
                progress(done, count, time.perf_counter() - started)
    finally:
        writers.close()
    rows_seconds = time.perf_counter() - started
    tallies_rebuild(programme.id)
    refresh_planner_statistics()
    return Generated(programme, count, references[0], references[-1], time.perf_counter() - started, rows_seconds)
