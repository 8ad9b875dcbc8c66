"""Synthetic petitions for benchmarks and tests: registration dicts in the API's shape.

Everything here is invented: names are drawn from common surnames and given names,
ID numbers are well-formed (real area codes, a plausible birth date and the GB
11643 check character) but belong to nobody, and the matters are assembled from
templates per category. The same seed gives the same petitions, so a benchmark
run can be repeated and a failing test reproduced.

The mix imitates a city office: letters are the most common channel, visits and
calls carry a reception record (Rule 4.2), some matters are assigned by the
superior organ with its reference and due date (Rule 2.1), some complain about a
department (involved units, Rule 4.3), a few are group petitions and some people
write again and again (repeat petitioners share an ID number).

`PetitionGenerator(seed, units=...)` needs the ids of the demo organisation's units
(`demo_unit_ids()` reads them); without them it makes no involved units and no
superior-assigned matters.

Optionally, titles and bodies can be taken from a local CSV of real citizen
messages (`real_messages()`); that data is for local evaluation only and is never
part of the repository, so the loader returns nothing when the file is absent.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from xinfang.petitions.validators import id_check_character

OFFICE_TZ = ZoneInfo("Asia/Shanghai")

# --- people -------------------------------------------------------------------

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "慕容")
GIVEN_MALE = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林建国志文海东峰德成亮新永"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀玲桂英梅琳燕红兰凤洁琴云莲真环雪荣爱妹香月莹媛瑶怡婷颖慧佳倩欣悦"

# County-level area codes (first six digits of a resident ID) of real districts.
AREA_CODES = (
    "110101",
    "110105",
    "110108",
    "310104",
    "310115",
    "320102",
    "320506",
    "330106",
    "330110",
    "340104",
    "350203",
    "360111",
    "370202",
    "410105",
    "420106",
    "420111",
    "430104",
    "430111",
    "440106",
    "440305",
    "450103",
    "500103",
    "510107",
    "520102",
    "530102",
    "610113",
    "620102",
    "650102",
)
MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "157",
    "158",
    "159",
    "166",
    "176",
    "177",
    "180",
    "181",
    "182",
    "185",
    "186",
    "187",
    "188",
    "189",
    "199",
)

# --- places and organisations ---------------------------------------------------

DISTRICTS = ("东城区", "西城区", "江北区", "南湖区", "高新区", "经开区", "滨江区", "城关区")
STREETS = (
    "人民路街道",
    "解放路街道",
    "和平街道",
    "新华街道",
    "建设路街道",
    "长江路街道",
    "文化街道",
    "东风街道",
    "胜利街道",
    "朝阳街道",
)
ESTATES = (
    "幸福家园",
    "阳光花园",
    "锦绣华庭",
    "翠湖小区",
    "金桂苑",
    "碧水湾",
    "怡和新村",
    "书香名邸",
    "滨河小区",
    "紫荆苑",
    "兴业小区",
    "春晖家园",
    "绿洲花园",
    "御景湾",
    "梧桐里",
)
ROADS = (
    "人民路",
    "中山路",
    "解放大道",
    "建设路",
    "光明路",
    "长江路",
    "滨河路",
    "学府路",
    "工业大道",
    "环城北路",
)
COMPANIES = (
    "宏达建筑工程有限公司",
    "鑫源物业管理有限公司",
    "华泰劳务派遣有限公司",
    "恒通物流有限公司",
    "金鼎置业有限公司",
    "东方纺织有限公司",
    "安泰化工有限公司",
    "顺发餐饮管理有限公司",
    "瑞丰汽车服务有限公司",
    "诚信装饰工程有限公司",
)
SCHOOLS = ("实验小学", "第一中学", "育才小学", "第三中学", "滨江小学", "新华中学", "阳光幼儿园")
HOSPITALS = ("市第一人民医院", "市中医院", "区人民医院", "市妇幼保健院", "社区卫生服务中心")
WORK_UNITS = COMPANIES + (
    "市第二中学",
    "区环卫所",
    "个体经营",
    "退休",
    "务农",
    "待业",
    "自由职业",
    "市纺织厂（已改制）",
    "区供销社",
    "街道社区居委会",
)

# --- the matters --------------------------------------------------------------
# Each category: (titles, problems, requests, the demo unit it may complain about); the
# k-th title and request go with the k-th problem.
# Slots: {estate} {road} {company} {school} {hospital} {district} {street}
#        {months} {amount} {count} {year}

MATTERS = {
    "housing": (
        (
            "{estate}{count}栋楼顶漏水多年无人维修",
            "{estate}逾期交房{months}个月",
            "{estate}外墙开裂脱落存在安全隐患",
            "保障性住房轮候多年未分配",
        ),
        (
            "我家住在{district}{estate}{count}栋，自{year}年起楼顶防水层破损，每逢下雨屋内漏水，墙面发霉。"
            "多次向物业和开发商反映，物业称需要动用维修资金，业主委员会至今未组织表决，问题拖了{months}个月仍未解决。",
            "{estate}由{company}开发，合同约定{year}年交房，至今已逾期{months}个月。开发商以资金紧张为由一再拖延，"
            "我们每月还要还房贷、付房租，生活压力很大。",
            "{estate}{count}栋外墙大面积开裂、脱落，存在安全隐患，开发商拒绝承担保修责任，物业也不处理。",
            "本人家庭人均收入符合保障房申请条件，{year}年提交申请并通过公示，但轮候{months}个月仍未分配，"
            "而同批次有人条件不符却先行入住。",
        ),
        (
            "请求督促开发商和物业尽快维修。",
            "请求相关部门督促开发商按合同交房并支付违约金。",
            "请求住建部门组织安全鉴定并督促整改。",
            "请求公开分配过程，依法依规分配。",
        ),
        "HOUSING",
    ),
    "labour_social_security": (
        (
            "{company}拖欠农民工工资{amount}元",
            "{company}未依法缴纳社会保险",
            "工伤认定迟迟未办理",
            "被单位无故辞退要求补偿",
        ),
        (
            "我们{count}名工人在{company}承建的{road}项目工地务工，自{year}年起被拖欠工资共计{amount}元。"
            "包工头已联系不上，公司称工程款未结清，推诿至今{months}个月。临近年关，家里老人孩子等着用钱。",
            "本人在{company}工作{count}年，公司一直未给我缴纳养老保险和医疗保险，多次要求补缴均被拒绝。",
            "{year}年本人在{company}工作时受伤，住院治疗{months}个月，单位不肯提供材料申请工伤认定。",
            "本人与{company}签订劳动合同，合同未到期即被通知不用上班，单位拒绝支付经济补偿金。",
        ),
        (
            "请求依法责令支付拖欠工资。",
            "请求督促单位补缴社会保险费。",
            "请求协助办理工伤认定。",
            "请求劳动监察部门依法处理，支付经济补偿。",
        ),
        "LABOUR",
    ),
    "environment": (
        (
            "{company}夜间排放废气扰民",
            "{road}餐饮油烟噪音污染",
            "河道被倾倒建筑垃圾",
            "{estate}旁工地夜间施工噪音",
            "污水直排入河",
        ),
        (
            "{district}{road}附近的{company}经常在夜间排放刺鼻气体，周边{estate}居民门窗紧闭仍能闻到，"
            "不少老人孩子出现咳嗽、头晕等症状。已持续{months}个月。",
            "{road}沿街餐饮店油烟直排，空调外机和排风扇噪音到深夜，严重影响{estate}居民休息。",
            "{street}辖区河道两侧近期有人夜间偷倒建筑垃圾，堆积如山，河水发黑发臭。",
            "{estate}旁的工地每天施工到凌晨，渣土车来回穿行，噪音和扬尘让居民无法正常生活。",
        ),
        (
            "请求环保部门现场检测并依法查处。",
            "请求责令安装油烟净化设施，限制营业时间。",
            "请求清理垃圾并追究倾倒者责任。",
            "请求依法限制夜间施工。",
        ),
        None,
    ),
    "education": (
        ("孩子入学学位问题", "{school}划片招生不合理", "{school}违规收费", "随迁子女入学难", "校车安全隐患"),
        (
            "我家住{district}{estate}，房产证和户口均在本片区，但今年孩子报名{school}时被告知学位已满，"
            "被调剂到离家{count}公里外的学校，孩子每天上学要换乘两次公交。",
            "{school}今年划片范围调整，{estate}被划出，而距离更远的小区却被划入，家长们对此有很大意见。",
            "{school}以资料费、兴趣班费等名义每学期向学生收取{amount}元，家长不交孩子就被区别对待。",
            "我们夫妻在本市务工{count}年，已办理居住证并缴纳社保，但孩子申请公办学校学位被拒。",
        ),
        (
            "请求教育部门按政策安排就近入学。",
            "请求公开划片依据，重新调整。",
            "请求查处违规收费并退还费用。",
            "请求按随迁子女入学政策解决学位。",
        ),
        None,
    ),
    "transport": (
        (
            "{road}路口缺少红绿灯事故频发",
            "公交线路调整后出行不便",
            "{road}道路破损严重",
            "违规停车堵塞消防通道",
            "出租车拒载绕路",
        ),
        (
            "{road}与{road2}交叉口车流量大，没有信号灯，今年以来已发生{count}起交通事故，附近{school}的学生过马路非常危险。",
            "{district}公交线路调整后，{estate}附近的站点被取消，居民要步行{count}公里才能坐车，老年人出行尤其困难。",
            "{road}路面坑洼不平，井盖松动，雨天积水，已有多名骑车人摔伤，多次反映至今{months}个月未修。",
            "{estate}小区内外车辆乱停乱放，堵塞消防通道，物业不管，交警来了就走。",
        ),
        (
            "请求尽快增设信号灯和斑马线。",
            "请求恢复或优化公交站点。",
            "请求尽快修复路面。",
            "请求依法整治违停。",
        ),
        "POLICE",
    ),
    "health": (
        (
            "医保报销比例与政策不符",
            "{hospital}过度医疗收费",
            "异地就医结算困难",
            "{hospital}医疗纠纷处理",
            "慢性病门诊待遇未落实",
        ),
        (
            "本人{year}年在{hospital}住院治疗，总费用{amount}元，按政策应报销七成，实际只报了不到一半，"
            "医保窗口解释不清。",
            "家人在{hospital}住院{count}天，费用清单中有大量未使用的检查和耗材，质疑存在过度收费。",
            "本人长期在外地随子女生活，办理异地就医备案后仍无法直接结算，每次都要垫付后回参保地报销。",
            "家属在{hospital}手术后出现严重并发症，医院拒绝提供完整病历，协商{months}个月无果。",
        ),
        (
            "请求核查报销情况并补足差额。",
            "请求卫健部门核查收费并退还多收费用。",
            "请求协调解决异地直接结算。",
            "请求依法组织医疗事故鉴定。",
        ),
        None,
    ),
    "urban_construction": (
        (
            "{estate}路灯损坏长期无人修",
            "{road}拆迁补偿标准不合理",
            "老旧小区改造进度缓慢",
            "{estate}违章搭建",
            "供暖不达标",
        ),
        (
            "{estate}内{count}盏路灯已损坏{months}个月，晚上一片漆黑，老人多次摔倒，找物业和社区都说不归他们管。",
            "{road}拓宽工程涉及我家房屋，补偿标准明显低于周边市场价，征收部门不愿协商。",
            "{estate}列入老旧小区改造计划已{count}年，至今未开工，管网老化经常停水。",
            "{estate}{count}栋一楼住户私自搭建，占用公共绿地，影响通行和采光。",
        ),
        (
            "请求尽快修复路灯。",
            "请求依法重新评估补偿。",
            "请求公布改造计划并尽快实施。",
            "请求依法拆除违建。",
        ),
        "HOUSING",
    ),
    "civil_affairs": (
        ("低保申请被拒", "高龄津贴未按时发放", "残疾人补贴被停发", "殡葬服务收费过高"),
        (
            "本人患病丧失劳动能力，家庭人均月收入不足{amount}元，申请低保被{street}以有子女为由拒绝，子女均在外地打工自顾不暇。",
            "我父亲今年{count}岁，按规定应享受高龄津贴，已经{months}个月没有发放。",
            "本人为肢体残疾，{year}年起领取的残疾人两项补贴突然被停发，没有任何书面通知。",
            "{district}殡仪馆服务项目捆绑收费，一场普通丧事花费{amount}元。",
        ),
        ("请求重新审核低保资格。", "请求补发津贴。", "请求说明停发原因并恢复发放。", "请求规范殡葬收费。"),
        None,
    ),
    "agriculture": (
        ("土地承包经营权纠纷", "征地补偿款未发放到户", "村务不公开", "惠农补贴被截留"),
        (
            "本人家庭承包的{count}亩耕地被村委会收回另行发包，没有任何补偿，承包合同尚未到期。",
            "{year}年村里土地被征用，补偿款{amount}元至今未发放到户，村干部说还在走程序。",
            "村集体收入和支出多年不公开，村民对村里土地出租收益去向有很大疑问。",
            "本村的耕地地力保护补贴{months}个月未发放，怀疑被截留挪用。",
        ),
        (
            "请求依法确认承包经营权。",
            "请求督促发放补偿款。",
            "请求依法公开村务财务。",
            "请求核查补贴发放情况。",
        ),
        None,
    ),
    "law_justice": (
        ("报案后迟迟未立案", "法院判决执行难", "邻里纠纷派出所处理不公", "被电信诈骗要求追回损失"),
        (
            "本人于{year}年向派出所报案被骗{amount}元，至今{months}个月未立案也无任何答复。",
            "本人与{company}的合同纠纷经法院判决胜诉，但对方拒不履行，申请执行{months}个月无进展。",
            "本人与邻居因排水问题发生纠纷，被对方打伤，派出所处理时明显偏袒对方。",
            "本人接到冒充客服的电话被骗{amount}元，已报案，希望尽快侦破追回损失。",
        ),
        (
            "请求督促公安机关依法立案侦查。",
            "请求督促法院加大执行力度。",
            "请求依法公正处理。",
            "请求尽快侦破案件。",
        ),
        "POLICE",
    ),
    "proposals": (
        ("关于增设社区养老服务点的建议", "建议延长公共图书馆开放时间", "关于规范共享单车停放的建议"),
        (
            "{district}老年人口多，但{street}没有社区食堂和日间照料中心，建议在{estate}附近增设养老服务点。",
            "市图书馆晚上六点闭馆，上班族没有时间借阅，建议工作日延长至晚上九点。",
            "{road}沿线共享单车乱停乱放，占用盲道，建议划定停放区域并加强管理。",
        ),
        ("建议相关部门研究采纳。",),
        None,
    ),
}
# How often each category occurs (roughly as a city office sees them).
CATEGORY_WEIGHTS = {
    "housing": 16,
    "labour_social_security": 18,
    "environment": 10,
    "education": 9,
    "transport": 8,
    "health": 8,
    "urban_construction": 14,
    "civil_affairs": 6,
    "agriculture": 5,
    "law_justice": 5,
    "proposals": 1,
}
CHANNEL_WEIGHTS = {"letter": 38, "visit": 18, "call": 16, "online": 18, "superior": 8, "assistance": 2}

EXPLAINED = (
    "已向来访人解释《信访工作条例》关于属地管理、分级负责的规定，告知将转有关部门办理并在规定期限内答复。",
    "已告知《劳动保障监察条例》相关规定及劳动仲裁途径。",
    "已解释住房维修资金使用的有关规定。",
    "已告知依法逐级反映诉求，不得越级上访。",
    "",
)

# Column names in the local real-message CSV and our category codes for its first-level categories.
REAL_CATEGORY_CODES = {
    "城乡建设": "urban_construction",
    "劳动和社会保障": "labour_social_security",
    "教育文体": "education",
    "商贸旅游": "commerce_tourism",
    "卫生计生": "health",
    "环境保护": "environment",
    "交通运输": "transport",
}
REAL_MESSAGES_CSV = Path("..") / "shared" / "data" / "citizen-messages" / "messages.csv"


@dataclass(frozen=True)
class Person:
    name: str
    id_number: str
    phone: str
    address: str
    work_unit: str


@dataclass(frozen=True)
class RealMessage:
    title: str
    body: str
    category: str


def real_messages(repo_root: Path, limit: int | None = None) -> list[RealMessage]:
    """Titles and bodies from `../shared/data/citizen-messages/messages.csv` beside the
    repository, if that local, uncommitted file exists; [] otherwise."""
    path = (repo_root / REAL_MESSAGES_CSV).resolve()
    if not path.is_file():
        return []
    found = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            code = REAL_CATEGORY_CODES.get((row.get("category") or "").strip())
            title, body = (row.get("title") or "").strip(), (row.get("body") or "").strip()
            if code and title and body:
                found.append(RealMessage(title[:200], body[:20000], code))
                if limit and len(found) >= limit:
                    break
    return found


def demo_unit_ids() -> dict[str, int]:
    """Ids of the demo organisation's units by code (needs Django set up)."""
    from xinfang.accounts.models import Unit

    return dict(Unit.objects.values_list("code", "id"))


class PetitionGenerator:
    """Deterministic stream of registration dicts (the body of POST /api/v1/petitions).

    `now` anchors the dates (received within the last `days` days, never in the
    future); `units` maps demo unit codes to ids; `messages` (optional) are real
    texts to use for a share of the petitions instead of the templates.
    """

    def __init__(
        self,
        seed: int = 2026,
        *,
        now: datetime | None = None,
        units: dict[str, int] | None = None,
        days: int = 300,
        messages: list[RealMessage] | None = None,
        repeat_share: float = 0.08,
        group_share: float = 0.03,
    ):
        self.rng = random.Random(seed)
        self.now = (now or datetime.now(OFFICE_TZ)).astimezone(OFFICE_TZ)
        self.units = units or {}
        self.days = days
        self.messages = messages or []
        self.repeat_share = repeat_share
        self.group_share = group_share
        self._issued_ids: set[str] = set()
        # People who come back: a small pool, drawn from for `repeat_share` of petitions.
        self.frequent = [self.person() for _ in range(60)]
        self._serial = 0

    # --- people ---

    def name(self, female: bool | None = None) -> str:
        rng = self.rng
        if female is None:
            female = rng.random() < 0.5
        surname = rng.choice(COMPOUND_SURNAMES) if rng.random() < 0.01 else rng.choice(SURNAMES)
        pool = GIVEN_FEMALE if female else GIVEN_MALE
        given = rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.7 else "")
        return surname + given

    def id_number(self, female: bool, born: date) -> str:
        """A well-formed 18-digit resident ID: area, birth date, sequence (odd for men), check."""
        while True:
            seq = self.rng.randrange(0, 500) * 2 + (0 if female else 1)
            first17 = f"{self.rng.choice(AREA_CODES)}{born:%Y%m%d}{seq:03d}"
            number = first17 + id_check_character(first17)
            if number not in self._issued_ids:  # two people never share an ID number
                self._issued_ids.add(number)
                return number

    def mobile(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def address(self) -> str:
        rng = self.rng
        return (
            f"{rng.choice(DISTRICTS)}{rng.choice(STREETS)}{rng.choice(ESTATES)}"
            f"{rng.randint(1, 32)}栋{rng.randint(1, 6)}单元{rng.randint(1, 33)}0{rng.randint(1, 4)}号"
        )

    def person(self) -> Person:
        rng = self.rng
        female = rng.random() < 0.45
        today = self.now.date()
        born = today - timedelta(days=rng.randint(19 * 365, 85 * 365))
        return Person(
            name=self.name(female),
            id_number=self.id_number(female, born),
            phone=self.mobile() if rng.random() < 0.95 else "",
            address=self.address() if rng.random() < 0.9 else "",
            work_unit=rng.choice(WORK_UNITS) if rng.random() < 0.7 else "",
        )

    # --- texts ---

    def _slots(self) -> dict[str, object]:
        rng = self.rng
        road, road2 = rng.sample(ROADS, 2)
        return {
            "estate": rng.choice(ESTATES),
            "road": road,
            "road2": road2,
            "company": rng.choice(COMPANIES),
            "school": rng.choice(DISTRICTS)[:-1] + rng.choice(SCHOOLS),
            "hospital": rng.choice(HOSPITALS),
            "district": rng.choice(DISTRICTS),
            "street": rng.choice(STREETS),
            "months": rng.randint(2, 30),
            "amount": rng.choice((3, 5, 8, 12, 26, 48, 150)) * rng.randint(100, 1200),
            "count": rng.randint(2, 40),
            "year": self.now.year - rng.randint(0, 6),
        }

    def matter(self) -> tuple[str, str, str, str, str | None]:
        """(category, title, content, requests, code of a unit it may complain about)."""
        rng = self.rng
        if self.messages and rng.random() < 0.5:
            message = rng.choice(self.messages)
            return message.category, message.title, message.body, "", None
        category = rng.choices(list(CATEGORY_WEIGHTS), weights=list(CATEGORY_WEIGHTS.values()))[0]
        titles, problems, requests, involved = MATTERS[category]
        slots = self._slots()
        k = rng.randrange(len(problems))
        content = problems[k].format(**slots)
        if rng.random() < 0.4:
            content += rng.choice(
                (
                    "希望领导重视。",
                    "恳请尽快处理，谢谢！",
                    "此事已向有关部门多次反映，均无结果。",
                    "现将有关材料附后，请予核查。",
                )
            )
        title = titles[min(k, len(titles) - 1)].format(**slots)
        return category, title, content, requests[min(k, len(requests) - 1)], involved

    # --- petitions ---

    def received_at(self) -> datetime:
        """Within office hours on a day in the last `days` days, and not in the future."""
        rng = self.rng
        day = self.now.date() - timedelta(days=rng.randint(0, self.days))
        moment = datetime(
            day.year, day.month, day.day, rng.randint(8, 17), rng.randint(0, 59), tzinfo=OFFICE_TZ
        )
        return min(moment, self.now - timedelta(minutes=rng.randint(1, 600)))

    def petitioners(self, channel: str) -> list[dict]:
        rng = self.rng
        if rng.random() < self.group_share:
            people = [self.person() for _ in range(rng.randint(5, 12))]
            reps = set(rng.sample(range(len(people)), min(5, rng.randint(1, 5))))
            return [self._petitioner(p, i in reps) for i, p in enumerate(people)]
        person = rng.choice(self.frequent) if rng.random() < self.repeat_share else self.person()
        entry = self._petitioner(person, False)
        if channel == "call":
            # Callers are rarely asked for their ID number on the phone.
            entry["id_number"] = person.id_number if rng.random() < 0.3 else ""
            entry["address"] = ""
        return [entry]

    @staticmethod
    def _petitioner(person: Person, representative: bool) -> dict:
        return {
            "name": person.name,
            "id_number": person.id_number,
            "phone": person.phone,
            "address": person.address,
            "work_unit": person.work_unit,
            "is_representative": representative,
        }

    def registration(self) -> dict:
        """The next registration dict (valid input for check_registration and the API)."""
        rng = self.rng
        self._serial += 1
        channel = rng.choices(list(CHANNEL_WEIGHTS), weights=list(CHANNEL_WEIGHTS.values()))[0]
        if channel in ("superior", "assistance") and not self.units:
            channel = "letter"
        category, title, content, requests, involved = self.matter()
        received = self.received_at()
        anonymous = channel in ("letter", "online") and rng.random() < 0.03
        data: dict = {
            "channel": channel,
            "received_at": received.isoformat(),
            "petitioners": [] if anonymous else self.petitioners(channel),
            "anonymous": anonymous,
            "title": title,
            "content": content,
            "requests": requests,
            "category": category,
            "important": rng.random() < 0.05,
            "urgent": rng.random() < 0.01,
        }
        if involved and involved in self.units and rng.random() < 0.15:
            data["involved_units"] = [self.units[involved]]
            if rng.random() < 0.4:
                data["involved_persons"] = [{"name": self.name(), "unit": self.units[involved]}]
        if channel == "superior":
            due = received.date() + timedelta(days=rng.choice((15, 20, 30, 60)))
            data["superior"] = {
                "unit": self.units["SUPERIOR"],
                "reference": f"信访交办〔{received.year}〕{rng.randint(1, 999)}号",
                "due_date": due.isoformat(),
            }
        elif channel == "assistance":
            sender = "POLICE" if "POLICE" in self.units else "SUPERIOR"
            data["superior"] = {
                "unit": self.units[sender],
                "reference": f"协查〔{received.year}〕{rng.randint(1, 99)}号",
            }
        if channel in ("visit", "call"):
            # Visitors may bring company; a call has no head count.
            visitors = (len(data["petitioners"]) or 1) + rng.randint(0, 2) if channel == "visit" else None
            data["reception"] = {
                "notes": f"{'来访人' if channel == 'visit' else '来电人'}反映：{content[:120]}",
                "explained": rng.choice(EXPLAINED),
                "visitors": visitors,
            }
        return data

    def registrations(self, count: int) -> Iterator[dict]:
        for _ in range(count):
            yield self.registration()
