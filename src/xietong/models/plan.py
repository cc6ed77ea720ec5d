"""Integration plans (整合共享清单): one per unit and year, a list of actions on its systems."""
from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .content import Node
from .meta import Base
from .register import InformationSystem

PLAN_ACTIONS = ("integrate", "retire", "keep", "migrate_network", "connect_exchange")


class IntegrationPlan(Node):
    __tablename__ = "integration_plans"
    __mapper_args__ = {"polymorphic_identity": "integration_plan"}

    id: Mapped[int] = mapped_column(ForeignKey("nodes.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    description: Mapped[str] = mapped_column(Text, default="")

    items: Mapped[list["PlanItem"]] = relationship(back_populates="plan", cascade="all, delete-orphan",
                                                   lazy="selectin", order_by="PlanItem.id")

    @property
    def all_done(self) -> bool:
        return bool(self.items) and all(item.done_date is not None for item in self.items)


class PlanItem(Base):
    __tablename__ = "plan_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("integration_plans.id", ondelete="CASCADE"), index=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("information_systems.id"))
    action: Mapped[str] = mapped_column(String(20))
    target_system_id: Mapped[int | None] = mapped_column(ForeignKey("information_systems.id"))
    due_date = mapped_column(Date)
    done_date = mapped_column(Date)
    evidence: Mapped[str] = mapped_column(Text, default="")

    plan: Mapped[IntegrationPlan] = relationship(back_populates="items")
    # selectin, not joined: a LEFT JOIN to a joined-inheritance target (nodes JOIN
    # information_systems) made SQLite materialize that join for every node, 250 ms for the
    # items of three plans at 100k documents (docs/PERFORMANCE.md)
    system: Mapped[InformationSystem] = relationship(foreign_keys=[system_id], lazy="selectin")
    target_system: Mapped[InformationSystem | None] = relationship(foreign_keys=[target_system_id],
                                                                   lazy="selectin")
