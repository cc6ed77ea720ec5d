"""Project filings (政务信息化项目备案): construction or O&M money filed with the information office.

``amount`` is kept exactly as an integer number of hundredths of 万元 (``amount_cents``);
SQLite's Numeric is not exact.  :attr:`Filing.amount` converts to and from ``Decimal``.

``contact_person`` / ``contact_phone`` (项目联系人, 联系电话) are personal data: the phone
is shown in full only to the roles :mod:`xietong.services.privacy` names, and neither is
put into ``search_text``.
"""
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .content import Node
from .meta import Base
from .register import InformationSystem

PROJECT_TYPES = ("new", "upgrade", "om")
FUNDING_KINDS = ("construction", "om")
FUNDING_SOURCES = ("central", "provincial", "municipal", "other")
BUILD_MODES = ("government", "joint", "purchased_service", "om_funded")

filing_systems = Table(
    "filing_systems", Base.metadata,
    Column("filing_id", ForeignKey("filings.id", ondelete="CASCADE"), primary_key=True),
    Column("system_id", ForeignKey("information_systems.id"), primary_key=True),
)


class Filing(Node):
    __tablename__ = "filings"
    __mapper_args__ = {"polymorphic_identity": "filing"}

    id: Mapped[int] = mapped_column(ForeignKey("nodes.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    project_type: Mapped[str] = mapped_column(String(20))
    funding_kind: Mapped[str] = mapped_column(String(20))
    amount_cents: Mapped[int] = mapped_column(BigInteger)  # hundredths of 万元
    funding_source: Mapped[str] = mapped_column(String(20))
    build_mode: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text, default="")
    contact_person: Mapped[str] = mapped_column(String(50), default="", server_default="")
    contact_phone: Mapped[str] = mapped_column(String(20), default="", server_default="")
    network: Mapped[str] = mapped_column(String(20))
    connected_to_exchange: Mapped[bool] = mapped_column(Boolean, default=False)
    catalogued: Mapped[bool] = mapped_column(Boolean, default=False)
    duplicates_existing: Mapped[bool] = mapped_column(Boolean, default=False)
    copied_from_id: Mapped[int | None] = mapped_column(ForeignKey("filings.id"))

    systems: Mapped[list[InformationSystem]] = relationship(secondary=filing_systems, lazy="selectin",
                                                           order_by=InformationSystem.id)
    copied_from: Mapped["Filing | None"] = relationship(foreign_keys=[copied_from_id], remote_side=[id])

    required_fields = ("project_type", "funding_kind", "amount_cents", "funding_source", "build_mode", "network")

    @property
    def amount(self) -> Decimal | None:
        return None if self.amount_cents is None else Decimal(self.amount_cents).scaleb(-2)

    @amount.setter
    def amount(self, value) -> None:
        self.amount_cents = int((Decimal(str(value)) * 100).to_integral_exact())
