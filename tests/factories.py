"""Factories (factory-boy) for the rows the tests stand on: places, the subsidy programme with its
documents and categories, staff, and stored cases.

Each factory makes a valid row with as little as possible, and takes any field as a keyword.
Rows keyed by a code (the subdistrict, a neighbourhood, a block, the programme, and a document or
category within its programme) are fetched when they already exist, so that two factories naming
the same code share one row.

``hardship_programme()`` builds the places and the programme most tests are written against:
the newsletter's Zhijiang West Road subdistrict (芷江西路街道), its five neighbourhoods and three
renovation blocks with the roads in each, and the hardship subsidy JGBK open today, with its six
documents and four categories. The tests name these by code ("zhijiangxincun", "block-241",
"disabled", "hukou", …) and read their names, pages, page labels and committee phones on the
pages, so they are spelled out here, independent of the demo data (``jiedao.ops.demo``), which
stays free to change for the demo's sake. Staff and cases are not part of it: each test makes
the ones it needs (``make_staff``; cases through the real service, ``tests.conftest.make_case``).
"""

from __future__ import annotations

import datetime as dt

import factory
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from factory.django import DjangoModelFactory

from jiedao.core.models import Block, BlockStreet, Neighbourhood, Role, StaffProfile, Subdistrict
from jiedao.intake.lifecycle import Status
from jiedao.intake.models import Application, Category, Channel, Document, DocumentType, Programme
from jiedao.intake.services import name_pinyin as pinyin_of
from jiedao.lib.validators import id_check_char


def valid_id_number(birth: str, serial: int) -> str:
    """A made-up ID number with a valid check character: Jing'an's region code (310106), the birth
    date ``birth`` (YYYYMMDD) and the three-digit ``serial``."""
    first17 = f"310106{birth}{serial:03d}"
    return first17 + id_check_char(first17)


# --- places ---------------------------------------------------------------------------------------


class SubdistrictFactory(DjangoModelFactory):
    class Meta:
        model = Subdistrict
        django_get_or_create = ("code",)

    code = "zhijiangxilu"
    name = "芷江西路街道"
    name_en = "Zhijiang West Road Subdistrict"
    district = "静安区"
    city = "上海市"
    office_phone = "021-56330100"


class NeighbourhoodFactory(DjangoModelFactory):
    class Meta:
        model = Neighbourhood
        django_get_or_create = ("code",)

    subdistrict = factory.SubFactory(SubdistrictFactory)
    code = factory.Sequence(lambda n: f"neighbourhood-{n}")
    name = factory.Sequence(lambda n: f"第{n}居民区")


class BlockFactory(DjangoModelFactory):
    class Meta:
        model = Block
        django_get_or_create = ("code",)

    subdistrict = factory.SubFactory(SubdistrictFactory)
    code = factory.Sequence(lambda n: f"block-{n}")
    name = factory.Sequence(lambda n: f"{n}街坊")


class BlockStreetFactory(DjangoModelFactory):
    """A road of a block; with no lanes given, the whole road."""

    class Meta:
        model = BlockStreet
        django_get_or_create = ("block", "road", "lane_from")

    block = factory.SubFactory(BlockFactory)
    road = "中兴路"
    lane_from = None
    lane_to = None


# --- the programme --------------------------------------------------------------------------------


def _set_many(field: str):
    """A post-generation hook that sets a many-to-many field when the factory is given a list."""

    def hook(obj, create, extracted, **kwargs):
        if create and extracted is not None:
            getattr(obj, field).set(extracted)

    return factory.PostGeneration(hook)


class ProgrammeFactory(DjangoModelFactory):
    """The programme alone, open from a month ago to three months ahead; its neighbourhoods,
    blocks and common documents when given (``neighbourhoods=[...]``)."""

    class Meta:
        model = Programme
        django_get_or_create = ("code",)
        skip_postgeneration_save = True  # the hooks set many-to-many fields only

    code = "JGBK"
    subdistrict = factory.SubFactory(SubdistrictFactory)
    name = "旧改特殊对象帮困补助"
    name_en = "Hardship subsidy for special-category residents of renovation blocks"
    summary = (
        "育群中学西块和241、242街坊旧改地块内的低保（纳保）家庭、残疾人、独居老人和重病患者，"
        "可以在线申请帮困补助：拍照上传材料、填写信息，就能完成申报。"
    )
    summary_en = (
        "Minimum-living-guarantee households, people with disabilities, elderly people living alone "
        "and people with serious illness in the Yuqun West, 241 and 242 renovation blocks can apply "
        "online: photograph the documents, fill in the details, done."
    )
    opens_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=30))
    closes_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=90))

    neighbourhoods = _set_many("neighbourhoods")
    blocks = _set_many("blocks")
    common_documents = _set_many("common_documents")


class DocumentTypeFactory(DjangoModelFactory):
    class Meta:
        model = DocumentType
        django_get_or_create = ("programme", "code")

    programme = factory.SubFactory(ProgrammeFactory)
    code = factory.Sequence(lambda n: f"document-{n}")
    name = factory.Sequence(lambda n: f"材料{n}")
    pages = 1


class CategoryFactory(DjangoModelFactory):
    """A category of special resident, with the documents it needs when given (``documents=[...]``)."""

    class Meta:
        model = Category
        django_get_or_create = ("programme", "code")
        skip_postgeneration_save = True  # the hooks set many-to-many fields only

    programme = factory.SubFactory(ProgrammeFactory)
    code = factory.Sequence(lambda n: f"category-{n}")
    name = factory.Sequence(lambda n: f"类别{n}")

    documents = _set_many("documents")


# What the tests read of the newsletter's places and programme (see the module's docstring).

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
    # code, name, English, pages, page labels, English labels, hint, English hint, name in an SMS
    ("id_card", "身份证", "Resident ID card", 2, "正面|反面", "front|back",
     "申请人本人的身份证，正面和反面各拍一张。", "The applicant's own ID card: one photo of each side.", ""),
    ("bank_card", "银行卡", "Bank card", 1, "", "",
     "申请人本人名下的银行卡，补助会发到这张卡上。", "A bank card in the applicant's name; the subsidy is paid to it.", ""),
    ("hukou", "户口簿", "Household register (hukou)", 2, "首页|本人页", "first page|applicant's page",
     "户口簿首页和申请人本人那一页。", "The first page and the applicant's own page.", ""),
    ("dibao_cert", "低保（纳保）证明", "Minimum living guarantee certificate", 1, "", "",
     "民政部门发的低保或纳保证明。", "The certificate issued by the civil affairs office.", "证明材料"),
    ("disability_cert", "残疾证", "Disability certificate", 1, "", "",
     "残疾证有照片和残疾等级的那一页。", "The page of the certificate with the photo and the grade.", "证明材料"),
    ("medical_record", "诊断证明", "Medical diagnosis", 1, "", "",
     "医院出具的诊断证明或出院小结。", "A hospital diagnosis or discharge summary.", "证明材料"),
]
COMMON_DOCUMENTS = ["id_card", "bank_card"]
CATEGORIES = [
    # code, name, English, documents, description, English description
    ("dibao", "低保（纳保）家庭", "Minimum living guarantee household", ["dibao_cert"],
     "享受城乡低保或纳入保障的家庭。", "Households receiving the minimum living guarantee."),
    ("disabled", "残疾人", "Person with a disability", ["disability_cert"],
     "申请人或家庭成员持有残疾证。", "The applicant or a household member holds a disability certificate."),
    ("elderly_alone", "独居老人", "Elderly person living alone", ["hukou"],
     "60周岁以上、独自居住的老人。", "Aged 60 or over and living alone."),
    ("serious_illness", "重病患者", "Serious illness", ["medical_record"],
     "患有重大疾病，需要长期治疗。", "A serious illness that needs long treatment."),
]


def hardship_programme() -> Programme:
    """The subdistrict, its neighbourhoods and blocks, and the JGBK programme with its documents and
    categories (see the module's docstring). Calling it again returns the same rows."""
    subdistrict = SubdistrictFactory()
    neighbourhoods = [
        NeighbourhoodFactory(
            subdistrict=subdistrict, code=code, name=name, name_en=name_en, committee_phone=phone, committee_address=address
        )
        for code, name, name_en, phone, address in NEIGHBOURHOODS
    ]
    blocks = {
        code: BlockFactory(subdistrict=subdistrict, code=code, name=name, name_en=name_en) for code, name, name_en in BLOCKS
    }
    for code, road, lane_from, lane_to in BLOCK_STREETS:
        BlockStreetFactory(block=blocks[code], road=road, lane_from=lane_from, lane_to=lane_to)
    programme = ProgrammeFactory(subdistrict=subdistrict, neighbourhoods=neighbourhoods, blocks=list(blocks.values()))
    documents = {
        code: DocumentTypeFactory(
            programme=programme,
            code=code,
            name=name,
            name_en=name_en,
            pages=pages,
            page_labels=labels,
            page_labels_en=labels_en,
            hint=hint,
            hint_en=hint_en,
            order=order,
            sms_name=sms_name,
        )
        for order, (code, name, name_en, pages, labels, labels_en, hint, hint_en, sms_name) in enumerate(DOCUMENTS)
    }
    programme.common_documents.set([documents[code] for code in COMMON_DOCUMENTS])
    for order, (code, name, name_en, needs, description, description_en) in enumerate(CATEGORIES):
        CategoryFactory(
            programme=programme,
            code=code,
            name=name,
            name_en=name_en,
            description=description,
            description_en=description_en,
            order=order,
            documents=[documents[d] for d in needs],
        )
    return programme


# --- staff ----------------------------------------------------------------------------------------


class UserFactory(DjangoModelFactory):
    """A user through ``create_user``: without a ``password``, one that can never sign in with a
    password (and no slow hashing); tests sign staff in with ``tests.conftest.sign_in``."""

    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"user{n}")
    is_staff = False

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return cls._get_manager(model_class).create_user(*args, **kwargs)


class StaffProfileFactory(DjangoModelFactory):
    """A member of staff: a staff user with a role and, for a committee worker, the neighbourhoods
    they cover (``neighbourhoods=["yongtai"]``: codes or rows)."""

    class Meta:
        model = StaffProfile
        skip_postgeneration_save = True  # the hooks set many-to-many fields only

    user = factory.SubFactory(UserFactory, is_staff=True)
    role = Role.WORKER

    @factory.post_generation
    def neighbourhoods(obj, create, extracted, **kwargs):
        if not create or not extracted:
            return
        codes = [n for n in extracted if isinstance(n, str)]
        rows = [n for n in extracted if not isinstance(n, str)]
        obj.neighbourhoods.set([*rows, *Neighbourhood.objects.filter(code__in=codes)])


def make_staff(username, role, neighbourhoods=(), **extra):
    """The user of a new member of staff; ``extra`` goes to the user (``first_name=…``)."""
    profile = StaffProfileFactory(
        user__username=username,
        role=role,
        neighbourhoods=list(neighbourhoods),
        **{f"user__{field}": value for field, value in extra.items()},
    )
    return profile.user


# --- cases ----------------------------------------------------------------------------------------


class ApplicationFactory(DjangoModelFactory):
    """A case as stored, made directly: no reference counter, tallies, history or SMS notice, which
    the submission service writes. For a test about a stored row; a case that should look as if a
    resident sent it comes through the service (``make_case``). Categories when given
    (``categories=[...]``); its documents with ``DocumentFactory(application=...)``."""

    class Meta:
        model = Application
        skip_postgeneration_save = True  # the hooks set many-to-many fields only

    programme = factory.SubFactory(ProgrammeFactory)
    reference = factory.LazyAttributeSequence(
        lambda o, n: f"{o.programme.code}-{timezone.localtime(o.submitted_at).year}-{90000 + n % 10000:05d}"
    )
    status = Status.SUBMITTED
    applicant_name = "张志远"
    name_pinyin = factory.LazyAttribute(lambda o: pinyin_of(o.applicant_name)[0])
    name_initials = factory.LazyAttribute(lambda o: pinyin_of(o.applicant_name)[1])
    id_number = factory.Sequence(lambda n: valid_id_number("19500101", n % 1000))
    phone = "13812345678"
    address_road = "中兴路"
    address_lane = "1021"
    address_number = "7"
    # The programme's first neighbourhood and block, or new ones in its subdistrict.
    neighbourhood = factory.LazyAttribute(
        lambda o: o.programme.neighbourhoods.first() or NeighbourhoodFactory(subdistrict=o.programme.subdistrict)
    )
    block = factory.LazyAttribute(lambda o: o.programme.blocks.first() or BlockFactory(subdistrict=o.programme.subdistrict))
    channel = Channel.ONLINE
    consent_version = factory.LazyFunction(lambda: settings.JIEDAO_CONSENT_VERSION)
    submitted_at = factory.LazyFunction(timezone.now)
    consent_at = factory.SelfAttribute("submitted_at")
    sensitive_consent_at = factory.SelfAttribute("submitted_at")

    categories = _set_many("categories")


class DocumentFactory(DjangoModelFactory):
    """One page of a document: a small JPEG (64×40) in the default storage; a new document type of
    the case's programme unless given one."""

    class Meta:
        model = Document

    application = factory.SubFactory(ApplicationFactory)
    document_type = factory.SubFactory(DocumentTypeFactory, programme=factory.SelfAttribute("..application.programme"))
    page = 1
    width = 64
    height = 40
    file = factory.django.ImageField(filename="page.jpg", format="JPEG", width=64, height=40)
    size = factory.LazyAttribute(lambda o: o.file.size)


# --- activities -----------------------------------------------------------------------------------


class ActivityFactory(DjangoModelFactory):
    """An activity of 芷江新村 starting in three days, ten places; its groups with ``groups=[...]``
    (names)."""

    class Meta:
        model = "activities.Activity"
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"activity-{n}")
    title = "主题党日：清洁家园"
    kind = "party_day"
    neighbourhood = factory.LazyFunction(lambda: NeighbourhoodFactory(code="zhijiangxincun", name="芷江新村"))
    organiser = "芷江新村居民区党总支"
    place = "芷江新村居委会"
    starts_at = factory.LazyFunction(lambda: timezone.now().replace(second=0, microsecond=0) + dt.timedelta(days=3))
    ends_at = factory.LazyAttribute(lambda a: a.starts_at + dt.timedelta(hours=2))
    capacity = 10
    created_by = factory.SubFactory(UserFactory, is_staff=True)

    @factory.post_generation
    def groups(obj, create, extracted, **kwargs):
        for order, name in enumerate(extracted or ()):
            obj.groups.create(name=name, task=f"{name}的任务", order=order)


# --- ratings (好差评) -------------------------------------------------------------------------------


def case_ended_event(**overrides):
    """A ``CaseEnded`` as a service publishes it: a subsidy case of 芷江新村 decided just now."""
    from jiedao.lib.case_endings import CaseEnded

    neighbourhood = NeighbourhoodFactory(code="zhijiangxincun", name="芷江新村")
    values = {
        "service": "hardship",
        "service_label": "旧改特殊对象帮困补助",
        "case_key": f"JGBK-2026-{next(_case_numbers):05d}",
        "outcome": "已通过",
        "phone": "13812345678",
        "person_name": "俞阿娥",
        "handler_id": None,
        "office": "旧改分指挥部",
        "ended_at": timezone.now(),
        "neighbourhood_id": neighbourhood.pk,
    }
    values.update(overrides)
    return CaseEnded(**values)


_case_numbers = iter(range(90001, 10**6))


def rating_invitation(**overrides):
    """An invitation through the real service, and its token (as the SMS carries it)."""
    from jiedao.ratings.services import invitation_create

    return invitation_create(case_ended_event(**overrides))
# --- public notices (公示) and news -----------------------------------------------------------------


class BulletinFactory(DjangoModelFactory):
    """A published text notice of the 旧改办, in its period (started yesterday, ends in three days);
    ``status="draft"`` for one still being written; neighbourhoods with ``neighbourhoods=[...]``."""

    class Meta:
        model = "bulletins.Bulletin"
        skip_postgeneration_save = True

    title = "光机小区加装电梯施工管理承诺书公示"
    body = "为保障加装电梯施工期间居民安全，现将施工管理承诺书公示如下。"
    kind = "text"
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=1))
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=3))
    office = "社区自治办"
    office_phone = "021-56330199"
    status = "published"
    published_at = factory.LazyFunction(timezone.now)
    created_by = factory.SubFactory(UserFactory, is_staff=True)

    neighbourhoods = _set_many("neighbourhoods")


class ArticleFactory(DjangoModelFactory):
    """A published article of 社区党建办, dated today."""

    class Meta:
        model = "news.Article"

    title = "党心如初 使命在肩"
    office = "社区党建办"
    body = "3月23日，街道机关党支部第一党小组和芷江新村居民区党组织联合开展主题党日活动。\n\n共有40余位党员参与此次活动。"
    dated = factory.LazyFunction(timezone.localdate)
    status = "published"
    published_at = factory.LazyFunction(timezone.now)
    author = factory.SubFactory(UserFactory, is_staff=True)
# --- construction sites ---------------------------------------------------------------------------

# A made-up unified social credit code with a valid check character (python-stdnum's cn.uscc).
BUILDER_USCC = "91310106MA1FL7XK2{check}"


def builder_uscc() -> str:
    from stdnum.cn import uscc

    first17 = BUILDER_USCC.format(check="")
    return first17 + uscc.calc_check_digit(first17)


class SiteFactory(DjangoModelFactory):
    """The elevator project at 光机小区, working, with 光机's committee responsible (a worker
    ``worker_gj`` of 光机 unless ``responsible=`` is given)."""

    class Meta:
        model = "sites.Site"

    code = factory.Sequence(lambda n: f"guangji-elevator-{n}")
    name = "光机小区加装电梯"
    neighbourhood = factory.LazyFunction(lambda: NeighbourhoodFactory(code="guangji", name="光机", committee_phone="021-56330104"))
    place = "光机小区1号楼、3号楼"
    builder_name = "上海某某电梯工程有限公司"
    builder_uscc = factory.LazyFunction(builder_uscc)
    manager_name = "陆建平"
    manager_phone = "13700000001"
    responsible = factory.LazyFunction(
        lambda: get_user_model().objects.filter(username="worker_gj").first() or make_staff("worker_gj", Role.WORKER, ["guangji"])
    )
    responsible_phone = "13800000009"
    committee_phone = "021-56330104"
    work_hours = "周一至周六 8:00—17:00"
    rules = "施工人员凭出入证进出，每天测温。"
    status = "working"


def site_worker(site, *, serial=1, name="王建国", approved=True, signed=True, phone="13600000001", **extra):
    """A worker of ``site`` registered through the service, with an approved pass (for today and
    the next 29 days) unless ``approved=False``; returns (worker, pass)."""
    from jiedao.sites import services

    worker = services.worker_register(
        site=site, name=name, id_number=valid_id_number("19800101", serial), phone=phone, trade=extra.pop("trade", "钢结构安装"),
        health_code="green", signature=name if signed else "", **extra,
    )
    site_pass = worker.passes.get()
    if approved:
        site_pass = services.pass_approve(
            site_pass=site_pass, actor=site.responsible, valid_from=site_pass.valid_from, valid_until=site_pass.valid_until
        )
    return worker, site_pass
# --- enterprise outreach --------------------------------------------------------------------------


def valid_uscc(serial: int) -> str:
    """A unified social credit code that python-stdnum accepts: a Jing'an (310106) company."""
    from stdnum.cn import uscc

    base = f"91310106MA{serial:07d}"
    return base + uscc.calc_check_digit(base)


class EnterpriseFactory(DjangoModelFactory):
    """An enterprise of 芷江新村 with its own union (单独建会) and a contact; ``contact=None`` for none."""

    class Meta:
        model = "enterprises.Enterprise"
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"上海测试企业{n}有限公司")
    uscc = factory.Sequence(lambda n: valid_uscc(n + 1))
    neighbourhood = factory.LazyFunction(lambda: NeighbourhoodFactory(code="zhijiangxincun", name="芷江新村"))
    address = "中兴路1021弄7号"
    sector = "商贸"
    union_separate = True

    @factory.post_generation
    def contact(obj, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        name, phone = extracted if isinstance(extracted, tuple) else ("王经理", "13800138000")
        obj.contacts.create(name=name, phone=phone, primary=True)


class SupplyItemFactory(DjangoModelFactory):
    """An item of the supplies ledger (口罩, 只), with no stock: stock comes in through ``ledger``."""

    class Meta:
        model = "enterprises.Item"
        django_get_or_create = ("name",)

    name = "口罩"
    unit = "只"
