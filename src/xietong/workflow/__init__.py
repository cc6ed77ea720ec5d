"""Workflow definitions: loading, validation, the shared state machines, diagrams, imports.

This package reads ``workflows/*.yaml`` and answers questions about them; it writes
nothing and knows no request.  Firing a transition (locking, history) is
:func:`xietong.services.workflow.fire`, one layer up.
"""
from .definition import BUILTIN_ROLES, DefinitionError, InvalidWorkflow, State, Transition, Workflow  # noqa: F401
from .loader import WorkflowSet, load_directory, load_or_fail  # noqa: F401
