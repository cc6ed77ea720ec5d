"""The SQL listing filter and ``permits`` agree, over generated users, documents and permission maps.

``permitted_clause`` is compiled from the same state permission maps that ``permits``
reads; hypothesis searches for a user, a set of documents (state, unit, owner, local
roles) and a workflow whose maps make the two disagree.
"""
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select

from xietong.models import LocalRole, Node, Unit, User, UserRole
from xietong.security import permits, permitted_clause
from xietong.testing import Note
from xietong.workflow.definition import parse_workflow
from xietong.workflow.loader import build_set

# Roles that depend on the document (unit, ownership, local grants) are where the SQL
# filter can go wrong, so maps and grants draw them twice as often as the others.
DEPENDENT = ["owner", "staff", "head", "lead", "contributor"]
GLOBAL = ["anonymous", "authenticated", "admin", "reviewer", "finance", "auditor", "leader"]
ROLES = DEPENDENT + GLOBAL
some_role = st.one_of(st.sampled_from(DEPENDENT), st.sampled_from(DEPENDENT), st.sampled_from(GLOBAL))
STATES = ["s0", "s1", "s2", "s3"]
UNITS = ["gonganju", "gongshangju", "xinxiban"]

role_sets = st.frozensets(some_role, max_size=3)
user_spec = st.fixed_dictionaries({
    "anonymous": st.booleans(),
    "unit": st.sampled_from(UNITS),
    "unit_role": st.sampled_from([None, "staff", "head"]),
    "roles": st.frozensets(st.sampled_from(["admin", "reviewer", "finance", "auditor", "leader"]), max_size=1),
})
node_spec = st.fixed_dictionaries({
    "state": st.sampled_from(STATES),
    "unit": st.sampled_from(UNITS),
    "owned": st.booleans(),
    "grants": st.lists(st.tuples(st.sampled_from(["user", "unit", "other_unit"]),
                                 some_role), max_size=2),
})


def workflow_with(maps: dict[str, frozenset[str]]):
    raw = {
        "id": "generated", "title": "生成", "version": 1, "initial": "s0",
        "states": {s: {"title": s, "permissions": {"view": sorted(maps[s])}} for s in STATES},
        "transitions": [{"id": f"t{i}", "title": f"t{i}", "from": STATES[i], "to": STATES[i + 1], "roles": ["admin"]}
                        for i in range(len(STATES) - 1)],
    }
    workflow, errors = parse_workflow(raw, "generated")
    assert not errors, errors
    workflows, errors = build_set([workflow])
    assert not errors
    return workflows


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(maps=st.fixed_dictionaries({s: role_sets for s in STATES}), spec=user_spec,
       nodes=st.lists(node_spec, min_size=1, max_size=6))
def test_sql_filter_agrees_with_permits(dbsession, maps, spec, nodes):
    workflows = workflow_with(maps)
    savepoint = dbsession.begin_nested()
    try:
        units = {u.code: u for u in dbsession.scalars(select(Unit).where(Unit.code.in_(UNITS)))}
        user = None
        if not spec["anonymous"]:
            user = User(username="gen-user", display_name="gen", unit=units[spec["unit"]],
                        unit_role=spec["unit_role"], password_hash="-",
                        role_rows=[UserRole(role=r) for r in sorted(spec["roles"])])
            dbsession.add(user)
            dbsession.flush()
        other_unit = next(u for code, u in units.items() if code != spec["unit"])
        created = []
        for index, n in enumerate(nodes):
            node = Note(name=f"gen-{index}", path=f"/gen/{index}/", title="t", workflow_id="generated",
                        state=n["state"], unit=units[n["unit"]], owner=user if n["owned"] else None)
            for principal, role in n["grants"]:
                if principal == "user" and user is not None:
                    node.local_role_rows.append(LocalRole(user_id=user.id, role=role))
                elif principal == "unit":
                    node.local_role_rows.append(LocalRole(unit_id=units[spec["unit"]].id, role=role))
                else:
                    node.local_role_rows.append(LocalRole(unit_id=other_unit.id, role=role))
            dbsession.add(node)
            created.append(node)
        dbsession.flush()
        ids = [n.id for n in created]
        by_permits = {n.id for n in created if permits(user, n, "view", workflows)}
        by_sql = set(dbsession.scalars(
            select(Node.id).where(Node.id.in_(ids), permitted_clause(user, "view", workflows))))
        assert by_sql == by_permits
    finally:
        savepoint.rollback()


def test_an_unknown_permission_lets_nobody_list(dbsession, users):
    from xietong.testing import get_user
    workflows = workflow_with({s: frozenset(ROLES) for s in STATES})
    admin = get_user(dbsession, users["admin"])
    assert dbsession.scalars(select(Node.id).where(permitted_clause(admin, "destroy", workflows))).all() == []
