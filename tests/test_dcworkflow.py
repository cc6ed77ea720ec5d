"""The DCWorkflow importer: Plone's own definition.xml files, and synthetic ones for what they lack."""
import io
from pathlib import Path
import xml.etree.ElementTree as ET

import pytest
import yaml

from xietong.workflow.dcworkflow import (
    PLONE_SITE_ROLEMAP, UnreadableDefinition, import_dcworkflow, run)
from xietong.workflow.definition import parse_workflow
from xietong.workflow.guards import default_actions, default_guards
from xietong.workflow.loader import load_directory

FIXTURES = Path(__file__).parent / "fixtures" / "dcworkflow"
PLONE_FILES = ["simple_publication_workflow.xml", "intranet_workflow.xml", "one_state_workflow.xml"]

# Zope roles with a Xietong meaning (Anonymous: every user, logged in or not).
ZOPE_ROLES = {"Owner": ["owner"], "Anonymous": ["anonymous", "authenticated"], "Authenticated": ["authenticated"]}


def mapped(roles):
    return {r for role in roles for r in ZOPE_ROLES.get(role, [role])}


def run_cli(path):
    out, err = io.StringIO(), io.StringIO()
    code = run(str(path), out, err)
    return code, out.getvalue(), err.getvalue()


def as_list(value):
    return value if isinstance(value, list) else [value]


def xml_of(path):
    return ET.parse(path).getroot()


def text(element):
    return "".join(element.itertext()).strip()


def expected_dropped_heads(root):
    """Every guard-expression, script and AUTOMATIC element, named as the importer must name it."""
    heads = set()
    for t in root.findall("transition"):
        tid = t.get("transition_id")
        expr = t.find("guard/guard-expression")
        if expr is not None and text(expr):
            heads.add(f"guard-expression on transition {tid}")
        for kind in ("before_script", "after_script"):
            if (t.get(kind) or "").strip():
                heads.add(f"script {t.get(kind).strip()} on transition {tid}")
        if t.get("trigger") == "AUTOMATIC":
            heads.add(f"AUTOMATIC trigger {tid}")
    for script in root.findall("script"):
        heads.add(f"script {script.get('script_id')}")
    return heads


def dropped_heads(stderr):
    lines = [line[len("dropped: "):] for line in stderr.splitlines() if line.startswith("dropped: ")]
    return {line.split(": ", 1)[0] for line in lines}


def load_printed(stdout):
    assert stdout.startswith("# imported from ")
    first = stdout.splitlines()[0]
    assert first.endswith(" by xietong import-dcworkflow")
    return yaml.safe_load(stdout)


# --------------------------------------------------------------------------- Plone's files


@pytest.mark.parametrize("name", PLONE_FILES)
def test_plone_file_imports_to_a_valid_workflow(name, tmp_path):
    code, out, err = run_cli(FIXTURES / name)
    assert code == 0, err
    mapping = load_printed(out)
    workflow, errors = parse_workflow(mapping, name, guards=default_guards(), actions=default_actions())
    assert errors == []
    assert workflow.id == xml_of(FIXTURES / name).get("workflow_id")
    # and through the application's own loader (strict YAML, compiled state machine)
    (tmp_path / "imported.yaml").write_text(out, "utf-8")
    workflows, errors = load_directory(tmp_path)
    assert errors == []
    assert workflows[workflow.id].definition.initial == xml_of(FIXTURES / name).get("initial_state")


@pytest.mark.parametrize("name", PLONE_FILES)
def test_states_transitions_and_permission_maps_match_the_xml(name):
    root = xml_of(FIXTURES / name)
    code, out, err = run_cli(FIXTURES / name)
    assert code == 0, err
    mapping = load_printed(out)

    xml_states = {s.get("state_id"): s for s in root.findall("state")}
    assert set(mapping["states"]) == set(xml_states)
    for state_id, state in mapping["states"].items():
        expected = {pm.get("name"): mapped(text(r) for r in pm.findall("permission-role"))
                    for pm in xml_states[state_id].findall("permission-map")}
        assert {p: set(roles) for p, roles in state["permissions"].items()} == expected
        for roles in state["permissions"].values():
            assert len(roles) == len(set(roles))
        assert state["title"] == xml_states[state_id].get("title")

    xml_transitions = {t.get("transition_id"): t for t in root.findall("transition")}
    assert {t["id"] for t in mapping["transitions"]} == set(xml_transitions)  # all USER, role/permission guards
    for transition in mapping["transitions"]:
        sources = {sid for sid, s in xml_states.items()
                   if transition["id"] in [e.get("transition_id") for e in s.findall("exit-transition")]}
        assert set(as_list(transition["from"])) == sources
        assert transition["to"] == xml_transitions[transition["id"]].get("new_state")
        assert transition["title"] == xml_transitions[transition["id"]].get("title")
        assert transition["roles"]


@pytest.mark.parametrize("name", PLONE_FILES)
def test_guard_permission_roles_are_the_holders_in_the_source_states(name):
    """Recomputed independently: the permission map of each source state, or Plone's site role map
    for a permission the workflow does not manage; intersected over the source states."""
    root = xml_of(FIXTURES / name)
    managed = {text(p) for p in root.findall("permission")}
    states = {s.get("state_id"): s for s in root.findall("state")}
    code, out, err = run_cli(FIXTURES / name)
    mapping = load_printed(out)
    for transition in mapping["transitions"]:
        element = next(t for t in root.findall("transition") if t.get("transition_id") == transition["id"])
        permissions = [text(p) for p in element.findall("guard/guard-permission")]
        assert permissions and not element.findall("guard/guard-role")
        per_state = []
        for sid in as_list(transition["from"]):
            holders = set()
            for permission in permissions:
                pmap = states[sid].find(f"permission-map[@name='{permission}']")
                if pmap is not None:
                    holders |= mapped(text(r) for r in pmap.findall("permission-role"))
                else:
                    assert permission not in managed
                    holders |= mapped(PLONE_SITE_ROLEMAP[permission])
            per_state.append(holders)
        assert set(transition["roles"]) == set.intersection(*per_state)


def test_guard_permission_from_the_state_map_by_hand():
    # intranet_workflow: hide (internal -> private) is guarded by "Modify portal content", which the
    # workflow manages; in state internal it is held by Manager, Owner, Editor, Site Administrator.
    code, out, err = run_cli(FIXTURES / "intranet_workflow.xml")
    transitions = {t["id"]: t for t in load_printed(out)["transitions"]}
    assert transitions["hide"]["from"] == "internal"
    assert set(transitions["hide"]["roles"]) == {"Manager", "owner", "Editor", "Site Administrator"}
    # show_internally (private -> internal), same permission, private's map: the same four.
    assert set(transitions["show_internally"]["roles"]) == {"Manager", "owner", "Editor", "Site Administrator"}


def test_guard_permission_the_workflow_does_not_manage_by_hand():
    # simple_publication_workflow: publish (pending, private -> published) is guarded by
    # "Review portal content", which the workflow does not manage (its <permission>s are Access
    # contents information, Modify portal content, View): Plone's rolemap.xml grants it to
    # Manager, Site Administrator and Reviewer.  Said on stderr.
    code, out, err = run_cli(FIXTURES / "simple_publication_workflow.xml")
    transitions = {t["id"]: t for t in load_printed(out)["transitions"]}
    assert set(transitions["publish"]["from"]) == {"pending", "private"}
    assert set(transitions["publish"]["roles"]) == {"Manager", "Site Administrator", "Reviewer"}
    # submit: "Request review" -> Manager, Site Administrator, Owner, Editor
    assert set(transitions["submit"]["roles"]) == {"Manager", "Site Administrator", "owner", "Editor"}
    assert "note: guard-permission 'Review portal content' (transition publish, transition reject, " \
           "worklist reviewer_queue) is not managed by this workflow" in err


def test_without_the_site_role_map_unmanaged_guards_grant_nothing():
    result = import_dcworkflow(FIXTURES / "simple_publication_workflow.xml", site_rolemap={})
    assert result.mapping is None
    assert any(line.startswith("transition publish: no role holds 'Review portal content'")
               for line in result.dropped)
    assert "nothing usable remains" in str(result.errors[0])


@pytest.mark.parametrize("name", PLONE_FILES)
def test_every_expression_script_and_automatic_element_is_named(name):
    code, out, err = run_cli(FIXTURES / name)
    heads = dropped_heads(err)
    expected = expected_dropped_heads(xml_of(FIXTURES / name))
    assert {h for h in heads if h.startswith(("guard-expression", "script", "AUTOMATIC"))} == expected
    variables = {v.get("variable_id") for v in xml_of(FIXTURES / name).findall("variable")}
    assert {f"variable {v} (expression)" for v in variables} <= heads  # every Plone variable has a default expr


def test_worklist_and_role_declarations():
    code, out, err = run_cli(FIXTURES / "simple_publication_workflow.xml")
    mapping = load_printed(out)
    assert mapping["worklists"] == {"reviewer_queue": {"title": "Reviewer tasks", "states": ["pending"],
                                                       "roles": ["Manager", "Site Administrator", "Reviewer"]}}
    assert mapping["roles"]["Site Administrator"] == "Site Administrator"
    assert not {"Owner", "Anonymous", "Authenticated"} & set(mapping["roles"])
    assert "note: role Anonymous is imported as anonymous + authenticated" in err
    assert mapping["types"] == [] and mapping["version"] == 1


def test_import_is_pure(capsys):
    data = (FIXTURES / "one_state_workflow.xml").read_bytes()
    result = import_dcworkflow(data)
    assert result.ok and result.mapping["transitions"] == []
    assert capsys.readouterr() == ("", "")


# --------------------------------------------------------------------------- synthetic definitions

RICH = """<?xml version="1.0" encoding="utf-8"?>
<dc-workflow workflow_id="Review-Flow" title="Review flow" state_variable="review_state"
             initial_state="draft" manager_bypass="True">
  <permission>View</permission>
  <permission>Modify portal content</permission>
  <state state_id="draft" title="Draft">
    <exit-transition transition_id="submit"/>
    <exit-transition transition_id="close"/>
    <exit-transition transition_id="touch"/>
    <exit-transition transition_id="ghost"/>
    <permission-map name="View" acquired="True"><permission-role>Owner</permission-role></permission-map>
    <permission-map name="Modify portal content" acquired="False">
      <permission-role>Owner</permission-role><permission-role>Editor</permission-role>
    </permission-map>
    <group-map name="staff"><group-role>Reader</group-role></group-map>
  </state>
  <state state_id="Pending-Review" title="Pending">
    <exit-transition transition_id="publish"/>
    <exit-transition transition_id="auto_expire"/>
    <exit-transition transition_id="retract"/>
    <permission-map name="View" acquired="False">
      <permission-role>Reviewer</permission-role><permission-role>Editor</permission-role>
    </permission-map>
    <permission-map name="Modify portal content" acquired="False">
      <permission-role>Reviewer</permission-role><permission-role>Editor</permission-role>
    </permission-map>
  </state>
  <state state_id="published" title="Published">
    <exit-transition transition_id="retract"/>
    <permission-map name="View" acquired="False"><permission-role>Anonymous</permission-role></permission-map>
    <permission-map name="Modify portal content" acquired="False">
      <permission-role>Editor</permission-role><permission-role>Manager</permission-role>
    </permission-map>
  </state>
  <state state_id="closed" title="Closed">
    <exit-transition transition_id="reopen"/>
  </state>
  <state state_id="expired" title="Expired"/>
  <transition transition_id="submit" title="Submit" new_state="Pending-Review" trigger="USER"
              before_script="check_fields" after_script="notify_owner">
    <guard><guard-role>Owner</guard-role><guard-role>Editor</guard-role><guard-role>Member</guard-role>
      <guard-permission>Modify portal content</guard-permission></guard>
    <assignment name="comments">python:"submitted"</assignment>
  </transition>
  <transition transition_id="close" title="Close" new_state="closed" trigger="USER" before_script="" after_script="">
    <guard><guard-role>Owner</guard-role><guard-expression>python: here.isExpired()</guard-expression></guard>
  </transition>
  <transition transition_id="reopen" title="Reopen" new_state="draft" trigger="USER">
    <guard><guard-group>Editors</guard-group><guard-role>Manager</guard-role></guard>
  </transition>
  <transition transition_id="touch" title="Touch" new_state="" trigger="USER">
    <guard><guard-role>Editor</guard-role></guard>
  </transition>
  <transition transition_id="publish" title="Publish" new_state="published" trigger="USER">
    <guard><guard-permission>View</guard-permission></guard>
  </transition>
  <transition transition_id="retract" title="Retract" new_state="draft" trigger="USER">
    <guard><guard-permission>Modify portal content</guard-permission></guard>
  </transition>
  <transition transition_id="auto_expire" title="Expire" new_state="expired" trigger="AUTOMATIC">
    <guard><guard-expression>python: DateTime() &gt; here.expires()</guard-expression></guard>
  </transition>
  <transition transition_id="orphan" title="Orphan" new_state="draft" trigger="USER">
    <guard><guard-role>Manager</guard-role></guard>
  </transition>
  <worklist worklist_id="review_queue" title="To review">
    <guard><guard-permission>Modify portal content</guard-permission></guard>
    <match name="review_state" values="Pending-Review; closed"/>
  </worklist>
  <worklist worklist_id="mine" title="Mine">
    <guard><guard-role>Owner</guard-role></guard>
    <match name="review_state" values="draft"/>
    <match name="Creator" values="%(user_id)s"/>
  </worklist>
  <variable variable_id="review_history" for_status="False">
    <default><expression>state_change/getHistory</expression></default>
  </variable>
  <variable variable_id="flag" for_status="True"><default><value type="bool">False</value></default></variable>
  <script script_id="notify_owner" type="Script (Python)" filename="workflows/x/scripts/notify_owner.py"/>
</dc-workflow>
"""


def test_synthetic_definition_drops_and_narrows_as_documented(tmp_path):
    path = tmp_path / "definition.xml"
    path.write_text(RICH, "utf-8")
    code, out, err = run_cli(path)
    assert code == 0, err
    mapping = load_printed(out)
    assert parse_workflow(mapping, "rich", guards=default_guards(), actions=default_actions())[1] == []
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "review_flow.yaml").write_text(out, "utf-8")
    assert load_directory(tmp_path / "out")[1] == []  # compiles, self-transition included
    assert mapping["id"] == "review_flow"
    assert set(mapping["states"]) == {"draft", "pending_review", "published"}  # closed/expired unreachable
    transitions = {t["id"]: t for t in mapping["transitions"]}
    assert set(transitions) == {"submit", "touch", "publish", "retract"}
    # guard-role AND guard-permission: only roles in both (Member does not hold Modify in draft)
    assert set(transitions["submit"]["roles"]) == {"owner", "Editor"}
    # empty new_state with one source: stays
    assert transitions["touch"]["from"] == "draft" and transitions["touch"]["to"] == "draft"
    # guard-permission View, held in pending_review by Reviewer and Editor
    assert transitions["publish"]["from"] == "pending_review"
    assert set(transitions["publish"]["roles"]) == {"Reviewer", "Editor"}
    # two source states: only the roles holding Modify portal content in both
    assert set(transitions["retract"]["from"]) == {"pending_review", "published"}
    assert transitions["retract"]["roles"] == ["Editor"]
    assert mapping["worklists"] == {"review_queue": {"title": "To review", "states": ["pending_review"],
                                                     "roles": ["Reviewer", "Editor"]}}
    assert mapping["states"]["draft"]["permissions"] == {"View": ["owner"],  # acquired="True": listed roles only
                                                         "Modify portal content": ["owner", "Editor"]}

    heads = dropped_heads(err)
    expected = expected_dropped_heads(ET.fromstring(RICH))
    assert expected == {"script check_fields on transition submit", "script notify_owner on transition submit",
                        "guard-expression on transition close", "guard-expression on transition auto_expire",
                        "AUTOMATIC trigger auto_expire", "script notify_owner"}
    assert {h for h in heads if h.startswith(("guard-expression", "script", "AUTOMATIC"))} == expected
    assert {"manager_bypass", "guard-group Editors on transition reopen", "transition orphan",
            "exit-transition ghost in state draft", "group-map staff in state draft",
            "assignment of variable comments on transition submit", "state closed", "state expired",
            "worklist mine", "variable review_history (expression)", "variable flag"} <= heads
    assert "dropped: guard-expression on transition close: 'python: here.isExpired()' is never evaluated" in err
    assert "transition close dropped" in err
    assert "dropped: guard-expression on transition auto_expire: 'python: DateTime() > here.expires()' is never " \
           "evaluated, and without it the transition names no roles; transition auto_expire dropped" in err
    assert "note: permission View in state draft: acquired roles from the parent are not carried over" in err
    assert "note: state Pending-Review is imported with the id pending_review" in err
    assert "note: transition retract: the roles holding 'Modify portal content' differ between its states " \
           "(Pending-Review: Reviewer, Editor; published: Editor, Manager); kept the roles common to all: Editor" \
           in err
    assert "note: transition submit: its guard needs one of the roles owner, Editor, Member" in err


def test_exit_1_when_every_transition_is_expression_guarded(tmp_path):
    path = tmp_path / "definition.xml"
    path.write_text("""<?xml version="1.0"?>
<dc-workflow workflow_id="expr_only" title="Expressions only" state_variable="review_state" initial_state="a">
  <state state_id="a" title="A"><exit-transition transition_id="go"/></state>
  <state state_id="b" title="B"><exit-transition transition_id="back"/></state>
  <transition transition_id="go" title="Go" new_state="b" trigger="USER">
    <guard><guard-expression>python: True</guard-expression></guard>
  </transition>
  <transition transition_id="back" title="Back" new_state="a" trigger="USER">
    <guard><guard-expression>here/canGoBack</guard-expression></guard>
  </transition>
</dc-workflow>""", "utf-8")
    code, out, err = run_cli(path)
    assert code == 1
    assert out == ""
    assert dropped_heads(err) >= {"guard-expression on transition go", "guard-expression on transition back"}
    assert "nothing usable remains: none of the 2 transitions could be carried over" in err


def test_exit_2_for_a_missing_file(tmp_path):
    code, out, err = run_cli(tmp_path / "nope.xml")
    assert (code, out) == (2, "")
    assert "no such file" in err


def test_exit_2_for_a_file_that_is_not_xml(tmp_path):
    path = tmp_path / "definition.xml"
    path.write_text("id: not_xml\nstates: {}\n", "utf-8")
    code, out, err = run_cli(path)
    assert (code, out) == (2, "")
    assert "not XML" in err


def test_exit_2_for_a_doctype_with_entities(tmp_path):
    path = tmp_path / "definition.xml"
    path.write_text("""<?xml version="1.0"?>
<!DOCTYPE dc-workflow [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<dc-workflow workflow_id="x" title="&b;" initial_state="a"><state state_id="a" title="A"/></dc-workflow>
""", "utf-8")
    code, out, err = run_cli(path)
    assert (code, out) == (2, "")
    assert "DOCTYPE" in err


def test_doctype_is_refused_in_any_encoding():
    data = ('<?xml version="1.0" encoding="utf-16"?>\n<!DOCTYPE dc-workflow SYSTEM "http://example.invalid/x.dtd">'
            '<dc-workflow workflow_id="x" initial_state="a"/>').encode("utf-16")
    with pytest.raises(UnreadableDefinition, match="DOCTYPE"):
        import_dcworkflow(data)


def test_exit_2_for_another_root_element(tmp_path):
    path = tmp_path / "rolemap.xml"
    path.write_text('<?xml version="1.0"?><rolemap><roles/></rolemap>', "utf-8")
    code, out, err = run_cli(path)
    assert (code, out) == (2, "")
    assert "not <dc-workflow>" in err


def test_ids_are_converted_and_collisions_dropped():
    result = import_dcworkflow(b"""<?xml version="1.0"?>
<dc-workflow workflow_id="2020 Flow" title="" initial_state="Draft">
  <state state_id="Draft" title="Draft"><exit-transition transition_id="Go-On"/></state>
  <state state_id="draft" title="Also draft"/>
  <state state_id="9 Done" title=""><exit-transition transition_id="Go-On"/></state>
  <transition transition_id="Go-On" title="Go on" new_state="9 Done" trigger="USER">
    <guard><guard-role>Authenticated</guard-role></guard>
  </transition>
</dc-workflow>""")
    assert result.ok, result.errors
    mapping = result.mapping
    assert mapping["id"] == "workflow_2020_flow" and mapping["title"] == "2020 Flow"
    assert mapping["initial"] == "draft"
    assert set(mapping["states"]) == {"draft", "state_9_done"}
    assert mapping["states"]["state_9_done"]["title"] == "9 Done"
    assert mapping["states"]["draft"]["permissions"] == {}
    [go] = mapping["transitions"]
    assert (go["id"], go["from"], go["to"], go["roles"]) == (
        "go_on", ["draft", "state_9_done"], "state_9_done", ["authenticated"])
    assert "roles" not in mapping  # only built-in roles used
    assert any(line.startswith("state draft: its id becomes 'draft', already used by state Draft")
               for line in result.dropped)


def test_exit_1_and_nothing_printed_when_the_result_does_not_validate(monkeypatch):
    from xietong.workflow import dcworkflow
    from xietong.workflow.definition import DefinitionError

    monkeypatch.setattr(dcworkflow, "parse_workflow",
                        lambda raw, source, **kw: (None, [DefinitionError(source, "states", "broken")]))
    code, out, err = run_cli(FIXTURES / "one_state_workflow.xml")
    assert (code, out) == (1, "")
    assert "error: " in err and "states: broken" in err
