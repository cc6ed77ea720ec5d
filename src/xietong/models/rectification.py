"""Rectification orders (责令整改): issued to a unit, answered, verified (销号) or sent back."""
from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .content import Node
from .org import Unit


class RectificationOrder(Node):
    __tablename__ = "rectification_orders"
    __mapper_args__ = {"polymorphic_identity": "rectification_order"}

    id: Mapped[int] = mapped_column(ForeignKey("nodes.id"), primary_key=True)
    target_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    basis: Mapped[str] = mapped_column(Text, default="")
    findings: Mapped[str] = mapped_column(Text, default="")
    # indexed: the dashboards list the overdue open orders by due date (migration 0010)
    due_date = mapped_column(Date, nullable=False, index=True)
    doc_number: Mapped[str] = mapped_column(String(60), default="")

    target_unit: Mapped[Unit] = relationship(foreign_keys=[target_unit_id], lazy="joined")

    required_fields = ("basis", "findings", "due_date", "doc_number")
