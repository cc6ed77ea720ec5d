"""Workflow files are validated at start-up: every error, with its file, key path and reason."""
import copy
from pathlib import Path

import pytest
import yaml

from xietong.workflow import InvalidWorkflow, load_directory, load_or_fail
from xietong.workflow.definition import parse_workflow
from xietong.workflow.durations import DurationError, parse_duration
from xietong.workflow.guards import default_actions, default_guards

PROJECT = Path(__file__).resolve().parents[1]
REVIEW = yaml.safe_load((PROJECT / "tests/workflows/review.yaml").read_text("utf-8"))


def errors_of(raw) -> list[tuple[str, str]]:
    workflow, errors = parse_workflow(raw, "wf.yaml", default_guards(), default_actions())
    assert (workflow is None) == bool(errors)
    return [(e.path, e.message) for e in errors]


def edited(change) -> dict:
    raw = copy.deepcopy(REVIEW)
    change(raw)
    return raw


def assert_error(raw, path, fragment):
    found = errors_of(raw)
    assert any(p == path and fragment in m for p, m in found), found


def test_the_project_workflows_and_the_test_workflows_are_valid():
    assert "filing" in load_or_fail(PROJECT / "workflows").workflows
    assert errors_of(REVIEW) == []


def test_missing_keys_and_wrong_types():
    raw = edited(lambda r: (r.pop("initial"), r.__setitem__("version", "one")))
    found = errors_of(raw)
    assert ("", "'initial' is a required property") in found
    assert any(p == "version" and "not of type 'integer'" in m for p, m in found)


def test_unknown_keys_are_refused():
    assert_error(edited(lambda r: r["states"]["draft"].__setitem__("colour", "red")), "states.draft",
                 "'colour' was unexpected")


def test_initial_state_must_exist():
    assert_error(edited(lambda r: r.__setitem__("initial", "nowhere")), "initial", "not among the states")


def test_from_and_to_must_exist():
    def change(raw):
        raw["transitions"][0]["from"] = ["draft", "limbo"]
        raw["transitions"][1]["to"] = "heaven"
    found = errors_of(edited(change))
    assert ("transitions[0].from", "state 'limbo' does not exist") in found
    assert ("transitions[1].to", "state 'heaven' does not exist") in found


def test_unreachable_states():
    def change(raw):
        raw["states"]["archived"] = {"title": "归档", "permissions": {}}
    assert_error(edited(change), "states.archived", "cannot be reached from the initial state 'draft'")


def test_duplicate_transition_ids():
    assert_error(edited(lambda r: r["transitions"].append(dict(r["transitions"][0]))), "transitions[5].id",
                 "duplicate transition id 'submit' (first at transitions[0])")


def test_duplicate_state_ids_in_the_yaml_text(tmp_path):
    text = (PROJECT / "tests/workflows/review.yaml").read_text("utf-8")
    text = text.replace("states:\n  draft:", "states:\n  approved: {title: x, permissions: {}}\n  draft:")
    (tmp_path / "dup.yaml").write_text(text, "utf-8")
    _, errors = load_directory(tmp_path)
    assert len(errors) == 1 and "duplicate key 'approved'" in errors[0].message and errors[0].path.startswith("line")


def test_every_transition_names_roles():
    assert_error(edited(lambda r: r["transitions"][1].__setitem__("roles", [])), "transitions[1].roles",
                 "deny by default")
    assert_error(edited(lambda r: r["transitions"][1].pop("roles")), "transitions[1]",
                 "'roles' is a required property")


def test_roles_must_be_built_in_or_declared():
    raw = edited(lambda r: r["transitions"][1].__setitem__("roles", ["Manager"]))
    assert_error(raw, "transitions[1].roles", "unknown role 'Manager'")
    raw["roles"] = {"Manager": "Plone manager"}
    assert errors_of(raw) == []
    assert_error(edited(lambda r: r["states"]["draft"]["permissions"].__setitem__("view", ["ghost"])),
                 "states.draft.permissions.view", "unknown role 'ghost'")
    assert_error(edited(lambda r: r.__setitem__("roles", {"owner": "x"})), "roles.owner", "built-in role")


def test_every_state_has_a_permission_map():
    assert_error(edited(lambda r: r["states"]["approved"].pop("permissions")), "states.approved",
                 "'permissions' is a required property")


def test_unknown_guard_or_action_names():
    def change(raw):
        raw["transitions"][0]["guards"] = ["os.system"]
        raw["transitions"][1]["actions"] = ["send_fax"]
    found = errors_of(edited(change))
    assert any(p == "transitions[0].guards" for p, _ in found)  # not even a valid name: the schema refuses it
    assert ("transitions[1].actions", "unknown action 'send_fax' (registered: log_transition)") in found
    assert_error(edited(lambda r: r["transitions"][0].__setitem__("guards", ["always_true"])),
                 "transitions[0].guards", "unknown guard 'always_true'")


def test_durations_parse():
    assert_error(edited(lambda r: r["states"]["submitted"].__setitem__("deadline", "ten days")),
                 "states.submitted.deadline", "not an ISO 8601 duration")
    assert_error(edited(lambda r: r["states"]["submitted"].__setitem__("deadline", "P1M")),
                 "states.submitted.deadline", "no fixed length")
    assert parse_duration("P1DT12H").total_seconds() == 36 * 3600
    with pytest.raises(DurationError):
        parse_duration("P0D")


def test_deadline_fire_must_leave_the_state_as_system():
    assert_error(edited(lambda r: r["states"]["submitted"].__setitem__("deadline", {"after": "P1D", "fire": "submit"})),
                 "states.submitted.deadline.fire", "does not leave state 'submitted'")
    assert_error(edited(lambda r: r["states"]["submitted"].__setitem__("deadline", {"after": "P1D", "fire": "approve"})),
                 "states.submitted.deadline.fire", "must name the role 'system'")


def test_worklists_name_existing_states_and_roles():
    def change(raw):
        raw["worklists"]["awaiting_review"]["states"] = ["pending"]
        raw["worklists"]["awaiting_review"]["roles"] = []
    found = errors_of(edited(change))
    assert ("worklists.awaiting_review.states", "state 'pending' does not exist") in found
    assert ("worklists.awaiting_review.roles", "a worklist must name the roles it is for") in found


def test_all_errors_are_reported_not_just_the_first():
    def change(raw):
        raw["initial"] = "nowhere"
        raw["transitions"][0]["to"] = "heaven"
        raw["transitions"][1]["roles"] = ["ghost"]
    assert len(errors_of(edited(change))) >= 3


def test_not_a_mapping_and_bad_yaml(tmp_path):
    (tmp_path / "list.yaml").write_text("- just\n- a list\n", "utf-8")
    (tmp_path / "broken.yaml").write_text("id: [unclosed\n", "utf-8")
    (tmp_path / "object.yaml").write_text("!!python/object/apply:os.system ['true']\n", "utf-8")
    _, errors = load_directory(tmp_path)
    by_file = {Path(e.source).name: e for e in errors}
    assert "must hold a mapping" in by_file["list.yaml"].message
    assert "not valid YAML" in by_file["broken.yaml"].message and by_file["broken.yaml"].path.startswith("line")
    assert "not valid YAML" in by_file["object.yaml"].message  # the safe loader builds no objects


def test_cross_file_checks(tmp_path):
    text = (PROJECT / "tests/workflows/review.yaml").read_text("utf-8")
    (tmp_path / "a.yaml").write_text(text, "utf-8")
    (tmp_path / "b.yaml").write_text(text, "utf-8")
    (tmp_path / "c.yaml").write_text(text.replace("id: review", "id: review2"), "utf-8")
    _, errors = load_directory(tmp_path)
    messages = [e.message for e in errors]
    assert any("workflow id 'review' is also used by" in m for m in messages)
    assert any("type 'note' is already bound to workflow 'review'" in m for m in messages)


def test_error_text_names_file_path_and_reason(tmp_path):
    (tmp_path / "x.yaml").write_text((PROJECT / "tests/workflows/review.yaml").read_text("utf-8")
                                     .replace("initial: draft", "initial: nowhere"), "utf-8")
    with pytest.raises(InvalidWorkflow) as invalid:
        load_or_fail(tmp_path)
    assert str(invalid.value).startswith(f"{tmp_path / 'x.yaml'}: initial: initial state 'nowhere'")


def test_the_application_refuses_to_start_with_an_invalid_workflow(tmp_path, db_url, engine, monkeypatch):
    from xietong import main
    from xietong.testing import app_settings

    (tmp_path / "bad.yaml").write_text("id: bad\n", "utf-8")
    monkeypatch.setenv("XIETONG_WORKFLOWS", str(tmp_path))
    with pytest.raises(SystemExit) as stopped:
        main({}, **app_settings(db_url))
    assert "bad.yaml" in str(stopped.value) and "'title' is a required property" in str(stopped.value)
