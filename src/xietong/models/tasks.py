"""Key tasks (十件大事 and the safeguard items of the seed's section 三) and what hangs off them.

A :class:`KeyTask` is a workflowed node owned by the leadership group.  Its lead and
cooperating units are *local roles* on the node (``lead`` / ``contributor`` rows of
``local_roles``), so the same permission machinery that guards every document decides
who may report progress or ask for a delay.

Milestones are plain rows with a due date; "overdue" is derived — a milestone not done
whose due date has passed, on a task not completed — never a state someone must
remember to set.  An approved delay moves ``due_date`` and keeps ``original_due_date``.

Progress reports are nodes of their own (they have a workflow and attachments), children
of their task; ``percentage`` of the newest submitted report is the task's progress.
"""
from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .content import Node
from .meta import Base, UTCDateTime, utcnow

TASK_SECTIONS = ("key", "safeguard")


class KeyTask(Node):
    __tablename__ = "key_tasks"
    __mapper_args__ = {"polymorphic_identity": "key_task"}

    id: Mapped[int] = mapped_column(ForeignKey("nodes.id"), primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # "1".."10", "三(一)".."三(七)"
    section: Mapped[str] = mapped_column(String(20))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    body: Mapped[str] = mapped_column(Text, default="")

    milestones: Mapped[list["Milestone"]] = relationship(
        back_populates="task", cascade="all, delete-orphan", lazy="selectin",
        order_by="(Milestone.sort_order, Milestone.id)")

    def units_holding(self, role: str) -> list[int]:
        return [r.unit_id for r in self.local_role_rows if r.role == role and r.unit_id is not None]


class Milestone(Base):
    __tablename__ = "milestones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("key_tasks.id", ondelete="CASCADE"), index=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(Text)
    due_date = mapped_column(Date, nullable=False, index=True)
    original_due_date = mapped_column(Date, nullable=False)
    done_date = mapped_column(Date)

    task: Mapped[KeyTask] = relationship(back_populates="milestones")


class DelayRequest(Base):
    """A lead unit asks to move a milestone; the leadership group approves or refuses."""

    __tablename__ = "delay_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("key_tasks.id", ondelete="CASCADE"), index=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestones.id", ondelete="CASCADE"))
    requested_due_date = mapped_column(Date, nullable=False)
    reason: Mapped[str] = mapped_column(Text)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    decision: Mapped[str] = mapped_column(String(20), default="pending")  # pending | approved | refused
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at = mapped_column(UTCDateTime)

    milestone: Mapped[Milestone] = relationship(lazy="joined")


class ProgressReport(Node):
    __tablename__ = "progress_reports"
    __mapper_args__ = {"polymorphic_identity": "progress_report"}

    id: Mapped[int] = mapped_column(ForeignKey("nodes.id"), primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("key_tasks.id"), index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    percentage: Mapped[int] = mapped_column(Integer, default=0)

    task: Mapped[KeyTask] = relationship(foreign_keys=[task_id])

    required_fields = ("text",)


class MilestoneReminder(Base):
    """A reminder sent by the sweeper: once per (milestone, kind, due date)."""

    __tablename__ = "milestone_reminders"
    __table_args__ = (UniqueConstraint("milestone_id", "kind", "due_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestones.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # due_soon | overdue
    due_date = mapped_column(Date, nullable=False)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
