"""The site's generation token: one row that every committed write replaces (see xietong.generation)."""
from sqlalchemy import BigInteger, CheckConstraint, Integer
from sqlalchemy.orm import Mapped, mapped_column

from .meta import Base


class SiteGeneration(Base):
    __tablename__ = "site_generation"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[int] = mapped_column(BigInteger, nullable=False)
