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

The key-task family is placed, not scattered: a type with ``slots`` takes each of the
places its function lists at most once (the seed's 17 tasks; per task and month a few
progress reports by its lead and cooperating units; per reporting unit and year one
annual report; per year one aggregate report).  When the type has fewer documents than
places, a seeded sample of the places is used, in the places' own (chronological)
order, so that a task's newest progress report is also its highest id, as in the app.
The corpus covers the reports on 2017 to :data:`LAST_REPORT_YEAR` (2025): after
10 January 2027 a dashboard of this corpus shows every unit as missing its report on 2026.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Callable

from xietong.formatting import CHINA_TZ
from xietong.services import tasks as seed
from xietong.services.reports import REPORTING_KINDS, aggregate_due_date, annual_due_date

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

    ``share`` is its part of all documents (or ``count``: that many, whatever the total);
    ``states`` maps a workflow state to its proportion; ``build(rng, ctx, doc)`` returns the
    type table's columns (``doc`` holds the node's ``id``, ``unit_id``, ``year``,
    ``created_at``, ``state`` and its ``slot``).  Besides the columns a builder may return
    ``_extra`` (rows of other tables by table name) and ``_node`` (``nodes`` columns to use
    instead of the generic ones: title, name, path, parent_id), and set in ``doc``
    ``local_roles`` ({role: unit ids}: rows of ``local_roles``, and the roles the history's
    actors hold) and ``last_at`` (when its last transition happened; default: a few days
    apart).  ``slots(rng, ctx)`` lists the places a document may take (dicts that may name
    its ``unit_id``, ``owner_id`` (None: created by the system), ``created_at`` and ``year``).
    """

    name: str
    share: float
    states: dict[str, float]
    build: Callable
    issuers: tuple[str, ...] = ()  # units whose people create it (empty: every unit)
    one_per_unit_year: bool = False  # like integration plans (services.content checks it)
    count: int | None = None
    slots: Callable | None = None
    max_steps: int | None = None  # at most this many transitions in its history (short walks)


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
    target = rng.choice(ctx.unit_ids)
    doc["local_roles"] = {"contributor": {target}}
    return {"target_unit_id": target, "basis": "《黄山市政务信息系统整合共享实施方案》",
            "findings": text(rng, 2, 3), "due_date": doc["created_at"].date() + timedelta(days=rng.randint(15, 90)),
            "doc_number": f"{abbreviation}〔{doc['year']}〕{doc['id'] % 997 + 1}号"}


# -- key tasks, progress reports, annual and aggregate reports -------------------------------------

#: the seed's notice is dated 2017-12-29; its tasks' first deadlines fall in January 2018
TASKS_CREATED = datetime(2017, 12, 29, 9, 0, tzinfo=CHINA_TZ)
CORPUS_END = date(2025, 12, 31)
LAST_REPORT_YEAR = 2025
REPORT_YEARS = tuple(range(2017, LAST_REPORT_YEAR + 1))
LEADERSHIP_UNIT = seed.LEADERSHIP_UNIT
#: progress reports per task and month at most (the places a sample is drawn from)
REPORTS_PER_MONTH = 4


def utc(value: datetime) -> datetime:
    return value.astimezone(timezone.utc)


def _at(rng, day: date, hour_from: int = 8, hour_to: int = 18) -> datetime:
    """A moment of ``day`` in office hours, China time, as UTC."""
    moment = datetime.combine(day, time(rng.randint(hour_from, hour_to - 1), rng.randint(0, 59),
                                        rng.randint(0, 59), rng.randint(0, 999_999)), tzinfo=CHINA_TZ)
    return utc(moment)


def _months(first: date, last: date) -> list[date]:
    months, day = [], first.replace(day=1)
    while day <= last:
        months.append(day)
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return months


def _task_slots(rng, ctx) -> list[dict]:
    """The seed's tasks as ``xietong load-seed`` makes them: lead and cooperating units expanded
    by the app's own rules (:func:`xietong.services.tasks.task_units`), owned by the system,
    in the leadership group's unit, under ``/tasks/``."""
    units = sorted(ctx.units_by_id.values(), key=lambda u: (u.sort_order, u.id))
    home = next(u for u in units if u.code == LEADERSHIP_UNIT)
    slots = []
    for order, entry in enumerate(seed.seed_tasks()):
        lead, cooperating = seed.task_units(entry, units)
        name = seed.node_name(entry["number"])
        slots.append({"unit_id": home.id, "owner_id": None, "year": TASKS_CREATED.year,
                      "created_at": utc(TASKS_CREATED + timedelta(minutes=order)), "entry": entry, "order": order,
                      "name": name, "lead": [u.id for u in lead], "cooperating": [u.id for u in cooperating]})
    return slots


def _task(rng, ctx, doc) -> dict:
    """A seed task in its drawn state: milestones done (on time or late) as far as the state
    says, a completion date for a completed task, a pending delay request when one is asked."""
    slot, state = doc["slot"], doc["state"]
    entry = slot["entry"]
    milestones = [(m["title"], m["due"] if "due" in m else seed.month_end(m["phrase"]))
                  for m in entry.get("milestones") or []]
    last_due = max([due for _t, due in milestones], default=date(2018, 6, 30))
    if state == "completed":
        end = min(last_due + timedelta(days=rng.randint(30, 900)), CORPUS_END - timedelta(days=30))
    else:
        end = CORPUS_END
    rows, delays = [], []
    for order, (title, due) in enumerate(milestones):
        done = None
        if state == "completed" or (state != "not_started" and rng.random() < 0.6):
            done = min(due + timedelta(days=rng.randint(-20, 120)), end)
        ctx.next_ids["milestones"] += 1
        rows.append({"id": ctx.next_ids["milestones"], "task_id": doc["id"], "sort_order": order, "title": title,
                     "due_date": due, "original_due_date": due, "done_date": done})
    lead, cooperating = slot["lead"], slot["cooperating"]
    last_at = _at(rng, end) if state != "not_started" else None
    pending = [r for r in rows if r["done_date"] is None]
    if state == "delay_requested" and pending and lead:
        asked = pending[0]
        ctx.next_ids["delay_requests"] += 1
        delays.append({"id": ctx.next_ids["delay_requests"], "task_id": doc["id"], "milestone_id": asked["id"],
                       "requested_due_date": CORPUS_END + timedelta(days=rng.randint(60, 180)),
                       "reason": text(rng), "requested_by_id": rng.choice(ctx.staff_by_unit[rng.choice(lead)]),
                       "requested_at": last_at, "decision": "pending", "decided_by_id": None, "decided_at": None})
    doc["local_roles"] = {"lead": set(lead), "contributor": set(cooperating)}
    doc["last_at"] = last_at
    ctx.tasks[doc["id"]] = {"id": doc["id"], "state": state, "lead": lead, "cooperating": cooperating,
                            "start": date(2018, 1, 1), "end": end}
    return {"number": entry["number"], "section": entry["section"], "sort_order": slot["order"], "body": entry["body"],
            "_node": {"title": entry["title"], "name": slot["name"], "path": f"/tasks/{slot['name']}/"},
            "_extra": {"milestones": rows, "delay_requests": delays}}


def _progress_slots(rng, ctx) -> list[dict]:
    """Per started task and month of its life, :data:`REPORTS_PER_MONTH` places, each by a
    lead unit (two in five) or a cooperating unit, in time order."""
    slots = []
    for task in ctx.tasks.values():
        if task["state"] == "not_started":
            continue
        months = _months(task["start"], task["end"])
        for index, month in enumerate(months):
            for _ in range(REPORTS_PER_MONTH):
                units = task["lead"] if not task["cooperating"] or rng.random() < 0.4 else task["cooperating"]
                day = month + timedelta(days=rng.randint(0, 27))
                slots.append({"unit_id": rng.choice(units), "created_at": _at(rng, min(day, task["end"])),
                              "task": task, "fraction": (index + 1) / len(months)})
    slots.sort(key=lambda s: s["created_at"])
    return slots


def _progress(rng, ctx, doc) -> dict:
    """A progress report on its task (a child of it); the task's lead units hold ``lead`` on it,
    as ``services.content.create`` grants; the percentage grows over the task's life."""
    slot = doc["slot"]
    task = slot["task"]
    ceiling = 100 if task["state"] == "completed" else 90
    doc["local_roles"] = {"lead": set(task["lead"])}
    return {"task_id": task["id"], "text": text(rng, 2, 4),
            "percentage": max(5, min(ceiling, round(ceiling * slot["fraction"] + rng.randint(-5, 5)))),
            "_node": {"parent_id": task["id"]}}


def _annual_slots(rng, ctx) -> list[dict]:
    """Every reporting unit (city departments, districts, counties) and year, drafted early in January."""
    units = sorted((u for u in ctx.units_by_id.values() if u.kind in REPORTING_KINDS and u.active),
                   key=lambda u: (u.sort_order, u.id))
    return [{"unit_id": u.id, "year": year, "created_at": _at(rng, date(year + 1, 1, rng.randint(2, 9)))}
            for year in REPORT_YEARS for u in units]


def _annual(rng, ctx, doc) -> dict:
    unit = ctx.units_by_id[doc["unit_id"]]
    doc["last_at"] = _at(rng, date(doc["year"] + 1, 1, rng.randint(9, 28)))
    return {"year": doc["year"], "catalogue": text(rng, 2, 3), "platform": text(rng, 2, 3),
            "sharing": text(rng, 2, 3), "due_date": annual_due_date(doc["year"]),
            "_node": {"title": f"{unit.short_name}{doc['year']}年度政务信息资源共享情况报告"}}


def _aggregate_slots(rng, ctx) -> list[dict]:
    office = next(u for u in ctx.units_by_id.values() if u.code == "xinxiban")
    return [{"unit_id": office.id, "owner_id": rng.choice(ctx.holders["reviewer"]), "year": year,
             "created_at": _at(rng, date(year + 1, 1, rng.randint(11, 16)))} for year in REPORT_YEARS]


def _aggregate(rng, ctx, doc) -> dict:
    doc["last_at"] = _at(rng, date(doc["year"] + 1, 2, rng.randint(1, 28)))
    return {"year": doc["year"], "summary": text(rng, 3, 5), "due_date": aggregate_due_date(doc["year"]),
            "_node": {"title": f"黄山市{doc['year']}年度政务信息资源共享情况汇总报告"}}


TYPES = (
    TypeSpec("information_system", 0.30, {"recorded": 0.35, "verified": 0.65}, _system),
    TypeSpec("filing", 0.55, {"draft": 0.08, "submitted": 0.17, "reviewed": 0.10, "approved": 0.50,
                              "funding_blocked": 0.05, "returned": 0.10}, _filing),
    TypeSpec("integration_plan", 0.03, {"draft": 0.10, "submitted": 0.15, "returned": 0.05, "confirmed": 0.40,
                                        "completed": 0.30}, _plan, one_per_unit_year=True),
    TypeSpec("rectification_order", 0.12, {"draft": 0.05, "issued": 0.30, "responded": 0.15, "closed": 0.50},
             _order, issuers=("xinxiban", "lingdaoxiaozu")),
    # 17 seed tasks, a programme eight years in: most done, a few still running or late
    TypeSpec("key_task", 0, {"completed": 0.60, "in_progress": 0.28, "delay_requested": 0.06,
                             "not_started": 0.06}, _task, count=17, slots=_task_slots,
             max_steps=2),
    # 2.5k at 100k documents, of about 3.9k places (four a month over each started task's life)
    TypeSpec("progress_report", 0.025, {"draft": 0.04, "submitted": 0.16, "acknowledged": 0.75, "returned": 0.05},
             _progress, slots=_progress_slots, max_steps=4),
    # 318 reporting units x 9 years = 2,862 places at 100k documents (300 extra units): 96% written,
    # 94% of those submitted or accepted, so about a tenth of the units miss each year's report
    TypeSpec("annual_report", 0.0275, {"draft": 0.03, "returned": 0.03, "submitted": 0.14, "accepted": 0.80},
             _annual, slots=_annual_slots, max_steps=4),
    TypeSpec("aggregate_report", 0, {"reported": 0.80, "approved": 0.10, "submitted": 0.10}, _aggregate,
             count=len(REPORT_YEARS), slots=_aggregate_slots, max_steps=5),
)
