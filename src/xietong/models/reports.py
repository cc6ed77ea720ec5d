"""Annual reports (年度政务信息资源共享情况报告) and the leadership group's aggregate report.

The seed's section 三(二): every district/county government and city department reports
the previous year "每年1月10日前" to the leadership group (sent to the information office),
with three sections — catalogue compilation, progress connecting systems to the shared
platform, data sharing and collaborative use; "每年1月20日前" the leadership group submits
the aggregate to the city government for approval and then reports to the province.
``due_date`` is kept on the row (10 or 20 January of the following year) so that the
workflow's ``deadline: {field: due_date}`` and the dashboards read one value.
"""
from sqlalchemy import Date, ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from .content import Node

ANNUAL_SECTIONS = ("catalogue", "platform", "sharing")


class AnnualReport(Node):
    __tablename__ = "annual_reports"
    __mapper_args__ = {"polymorphic_identity": "annual_report"}

    id: Mapped[int] = mapped_column(ForeignKey("nodes.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)  # the year reported on
    catalogue: Mapped[str] = mapped_column(Text, default="")
    platform: Mapped[str] = mapped_column(Text, default="")
    sharing: Mapped[str] = mapped_column(Text, default="")
    due_date = mapped_column(Date, nullable=False)

    required_fields = ANNUAL_SECTIONS


class AggregateReport(Node):
    __tablename__ = "aggregate_reports"
    __mapper_args__ = {"polymorphic_identity": "aggregate_report"}

    id: Mapped[int] = mapped_column(ForeignKey("nodes.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True, unique=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    due_date = mapped_column(Date, nullable=False)

    required_fields = ("summary",)
