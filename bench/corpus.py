"""What the generated documents are: the type table, their state proportions, Chinese texts.

:data:`TYPES` is the one table to extend when a content type is added (``key_task``,
``progress_report`` ...): its share of the documents, the proportion of each workflow
state, and a builder returning the columns of the type's own (joined) table.  The
generator (:mod:`generate`) does the rest generically: it walks the type's workflow
(from ``workflows/*.yaml``) from the initial state to the drawn state for the history,
fills ``nodes`` and ``search_text`` from the app's own ``content.TYPES`` and skips,
with a message, a type the application does not know yet.

Proportions are those of a programme a few years in: most filings decided, most
systems verified, most orders closed, a tenth of everything still in draft.
"""
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable

PLACES = ["市", "屯溪区", "黄山区", "徽州区", "歙县", "休宁县", "黟县", "祁门县", "经开区", "黄山风景区"]
SUBJECTS = ["政务", "公安", "交通", "教育", "卫生", "民政", "财政", "税务", "环保", "水利", "农业", "旅游",
            "市场监管", "人社", "住建", "自然资源", "应急", "统计", "审计", "档案", "文化", "林业"]
THINGS = ["信息系统", "视频监控平台", "数据共享交换平台", "电子政务外网", "政务服务网", "办公自动化系统",
          "资源目录", "数据中心", "云平台", "门户网站", "业务系统", "监管平台", "审批系统", "指挥中心"]
ACTIONS = ["运维", "建设", "升级改造", "整合", "迁移上云", "安全加固", "等级保护测评", "备案", "整改",
           "验收", "采购", "扩容"]
PHRASES = ["按照实施方案要求", "完成数据资源目录编制", "接入电子政务外网", "年度运维经费", "开展安全检查",
           "落实整改措施", "推进共建共享", "避免重复建设", "纳入统一平台", "实现信息互联互通",
           "清理僵尸系统", "资金审批", "报市信息办备案", "视频监控前端点位", "数据交换共享",
           "统一身份认证", "政务数据共享目录", "业务协同", "按期完成整合"]
COMMENTS = ["请按要求补充材料", "同意", "经审核符合要求", "资料不全，退回补充", "已按期整改", "请尽快落实"]
UNIT_SUFFIXES = ["局", "委员会", "办公室", "中心", "管理处", "服务站"]
TOWNS = ["阳湖镇", "屯光镇", "奕棋镇", "汤口镇", "谭家桥镇", "岩寺镇", "潜口镇", "徽城镇", "深渡镇", "海阳镇",
         "齐云山镇", "碧阳镇", "宏村镇", "祁山镇", "历口镇", "新安街道", "昱中街道", "老街街道"]


def title(rng) -> str:
    return f"{rng.choice(PLACES)}{rng.choice(SUBJECTS)}{rng.choice(THINGS)}{rng.choice(ACTIONS)}"


def text(rng, low=1, high=3) -> str:
    return "，".join(rng.sample(PHRASES, rng.randint(low, high))) + "。"


@dataclass(frozen=True)
class TypeSpec:
    """One content type of the generated city.

    ``share`` is its part of all documents; ``states`` maps a workflow state to its
    proportion; ``build(rng, ctx, doc)`` returns the type table's columns (``doc`` holds
    the node's ``id``, ``unit_id``, ``year``, ``created_at`` and ``state``).
    """

    name: str
    share: float
    states: dict[str, float]
    build: Callable
    issuers: tuple[str, ...] = ()  # units whose people create it (empty: every unit)
    one_per_unit_year: bool = False  # like integration plans (services.content checks it)


def _system(rng, ctx, doc) -> dict:
    flags = {name: rng.random() < 0.04 for name in ("zombie_detached", "zombie_replaceable", "zombie_idle",
                                                    "zombie_unmaintained", "zombie_low_use")}
    return {"function": text(rng), "usage_scope": rng.choice(["全市", "本单位", "市县两级", "全省"]),
            "usage_frequency": rng.choice(["每日", "每周", "每月", "偶尔"]),
            "approving_department": rng.choice(["市发改委", "市信息办", "市财政局"]),
            "approval_date": date(doc["year"], rng.randint(1, 12), rng.randint(1, 28)),
            "funding_source": rng.choice(["市级财政", "中央补助", "自筹"]),
            "status": rng.choice(["in_use"] * 8 + ["building", "stopped"]),
            "network": rng.choice(["extranet", "extranet", "internet", "intranet", "private"]),
            "connected_to_exchange": rng.random() < 0.7, "catalogued": rng.random() < 0.7,
            "integrated_into_id": None, **flags}


def _filing(rng, ctx, doc) -> dict:
    return {"year": doc["year"], "project_type": rng.choice(["new", "upgrade", "om", "om"]),
            "funding_kind": rng.choice(["construction", "om"]),
            "amount_cents": rng.randint(5, 50_000) * 100 + rng.randint(0, 99),
            "funding_source": rng.choice(["central", "provincial", "municipal", "municipal", "other"]),
            "build_mode": rng.choice(["government", "joint", "purchased_service", "om_funded"]),
            "description": text(rng), "network": rng.choice(["extranet", "extranet", "internet", "intranet"]),
            "connected_to_exchange": rng.random() < 0.85, "catalogued": rng.random() < 0.85,
            "duplicates_existing": rng.random() < 0.05, "copied_from_id": None}


def _plan(rng, ctx, doc) -> dict:
    """A plan and, as ``_extra``, one to three items on systems of its unit (if it has any)."""
    systems = ctx.systems_by_unit.get(doc["unit_id"], [])
    items = [{"plan_id": doc["id"], "system_id": system_id,
              "action": rng.choice(["integrate", "retire", "keep", "migrate_network", "connect_exchange"]),
              "target_system_id": None, "due_date": date(doc["year"], 12, 31),
              "done_date": date(doc["year"], 11, 30) if doc["state"] == "completed" else None,
              "evidence": ""}
             for system_id in rng.sample(systems, min(len(systems), rng.randint(1, 3)))]
    return {"year": doc["year"], "description": text(rng, 2, 4), "_extra": {"plan_items": items}}


def _order(rng, ctx, doc) -> dict:
    issuer = ctx.units_by_id[doc["unit_id"]]
    abbreviation = "黄信办" if issuer.code == "xinxiban" else "黄政办"
    return {"target_unit_id": rng.choice(ctx.unit_ids), "basis": "《黄山市政务信息系统整合共享实施方案》",
            "findings": text(rng, 2, 3), "due_date": doc["created_at"].date() + timedelta(days=rng.randint(15, 90)),
            "doc_number": f"{abbreviation}〔{doc['year']}〕{doc['id'] % 997 + 1}号"}


TYPES = (
    TypeSpec("information_system", 0.30, {"recorded": 0.35, "verified": 0.65}, _system),
    TypeSpec("filing", 0.55, {"draft": 0.08, "submitted": 0.17, "reviewed": 0.10, "approved": 0.50,
                              "funding_blocked": 0.05, "returned": 0.10}, _filing),
    TypeSpec("integration_plan", 0.03, {"draft": 0.10, "submitted": 0.15, "returned": 0.05, "confirmed": 0.40,
                                        "completed": 0.30}, _plan, one_per_unit_year=True),
    TypeSpec("rectification_order", 0.12, {"draft": 0.05, "issued": 0.30, "responded": 0.15, "closed": 0.50},
             _order, issuers=("xinxiban", "lingdaoxiaozu")),
)
