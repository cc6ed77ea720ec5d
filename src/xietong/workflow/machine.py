"""One shared ``transitions.Machine`` per workflow, and its mermaid diagram.

Documents are never added to the machine (``model=None``): firing passes the
document to ``machine.events[id].trigger(document)``, which reads and sets its
``state`` attribute and nothing else — so 500 documents never build 500 machines,
and nothing is leaked or reset.  Guards are *not* given to ``transitions`` (it would
look names up on the model and import dotted paths); the workflow service evaluates
them itself to report a reason.

The diagram text comes from transitions' mermaid backend, built once per workflow on
a throwaway holder object (a ``GraphMachine`` caches per model, so it is never used
to fire); the current state is highlighted by adding a style line to that text.
"""
from dataclasses import dataclass, field
import re

from transitions import Machine
from transitions.extensions import GraphMachine

from .definition import Workflow

HIGHLIGHT_CLASS = "classDef current fill:#fde68a,stroke:#b45309,stroke-width:3px"


def _machine_spec(workflow: Workflow) -> dict:
    return dict(
        states=list(workflow.states),
        transitions=[{"trigger": t.id, "source": list(t.sources), "dest": t.dest} for t in workflow.transitions],
        initial=workflow.initial,
        auto_transitions=False,
    )


@dataclass(frozen=True)
class CompiledWorkflow:
    definition: Workflow
    machine: Machine = field(repr=False)
    mermaid: str = field(repr=False)

    @property
    def id(self) -> str:
        return self.definition.id

    def move(self, document, transition_id: str) -> None:
        """Change ``document.state`` along ``transition_id`` (checks already done by the service)."""
        self.machine.events[transition_id].trigger(document)

    def diagram(self, current_state: str | None = None) -> str:
        """Mermaid text; ``current_state`` highlighted when given."""
        if current_state is None or current_state not in self.definition.states:
            return self.mermaid
        return f"{self.mermaid}\n  {HIGHLIGHT_CLASS}\n  class {current_state} current"


class _Holder:
    """The one model a GraphMachine draws for; never a document."""


def mermaid_label(text: str) -> str:
    """A title made safe inside a mermaid label: no quotes, brackets or line breaks survive."""
    replacements = {'"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;", ":": "#colon;",
                    ";": "#59;", "|": "#124;", "\n": " ", "\r": " ", "#": "#35;"}
    return "".join(replacements.get(ch, ch) for ch in text)


def _mermaid(workflow: Workflow) -> str:
    holder = _Holder()
    GraphMachine(model=holder, graph_engine="mermaid", title=workflow.id, show_conditions=False,
                 **_machine_spec(workflow))
    text = holder.get_graph().draw(None)
    # transitions titles the graph with the machine's name: drop that front matter
    text = re.sub(r"^---.*?---\s*", "", text, flags=re.S)
    # the holder sits in the initial state: no state is "active" in the plain diagram
    text = re.sub(r"^(\s*Class \w+) s_active$", r"\1 s_default", text, flags=re.M)
    titles = {sid: state.title for sid, state in workflow.states.items()}
    text = re.sub(r'^(\s*)state "(\w+)" as (\w+)$',
                  lambda m: f'{m.group(1)}state "{mermaid_label(titles.get(m.group(3), m.group(3)))}" as {m.group(3)}',
                  text, flags=re.M)
    transition_titles = {t.id: t.title for t in workflow.transitions}
    text = re.sub(r"^(\s*\w+ --> \w+): (.+)$",
                  lambda m: m.group(1) + ": " + " | ".join(
                      mermaid_label(transition_titles.get(label, label)) for label in m.group(2).split(" | ")),
                  text, flags=re.M)
    return text.rstrip()


def compile_workflow(workflow: Workflow) -> CompiledWorkflow:
    machine = Machine(model=None, send_event=True, queued=False, **_machine_spec(workflow))
    return CompiledWorkflow(definition=workflow, machine=machine, mermaid=_mermaid(workflow))
