"""The information system register (台账): the audit survey of task 1, one row per system.

A system meeting any of the five "zombie" criteria of the seed is a *zombie candidate*
(僵尸系统嫌疑) wherever it is shown, and blocks the funding of filings that link it.
"""
from sqlalchemy import Boolean, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .content import Node

SYSTEM_STATUSES = ("planned", "building", "in_use", "stopped", "retired")
NETWORKS = ("internet", "extranet", "intranet", "private")
ZOMBIE_CRITERIA = ("zombie_detached", "zombie_replaceable", "zombie_idle", "zombie_unmaintained",
                   "zombie_low_use")


class InformationSystem(Node):
    __tablename__ = "information_systems"
    __mapper_args__ = {"polymorphic_identity": "information_system"}

    id: Mapped[int] = mapped_column(ForeignKey("nodes.id"), primary_key=True)
    function: Mapped[str] = mapped_column(Text, default="")
    usage_scope: Mapped[str] = mapped_column(String(200), default="")
    usage_frequency: Mapped[str] = mapped_column(String(100), default="")
    approving_department: Mapped[str] = mapped_column(String(100), default="")
    approval_date = mapped_column(Date)
    funding_source: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(20), default="in_use")
    network: Mapped[str] = mapped_column(String(20), default="extranet")
    connected_to_exchange: Mapped[bool] = mapped_column(Boolean, default=False)
    catalogued: Mapped[bool] = mapped_column(Boolean, default=False)
    zombie_detached: Mapped[bool] = mapped_column(Boolean, default=False)  # 使用与实际业务流程长期脱节
    zombie_replaceable: Mapped[bool] = mapped_column(Boolean, default=False)  # 功能可被其他系统替代
    zombie_idle: Mapped[bool] = mapped_column(Boolean, default=False)  # 所占用资源长期处于空闲状态
    zombie_unmaintained: Mapped[bool] = mapped_column(Boolean, default=False)  # 运行维护停止更新服务
    zombie_low_use: Mapped[bool] = mapped_column(Boolean, default=False)  # 使用范围小、频度低
    integrated_into_id: Mapped[int | None] = mapped_column(ForeignKey("information_systems.id"))

    integrated_into: Mapped["InformationSystem | None"] = relationship(
        foreign_keys=[integrated_into_id], remote_side=[id])

    required_fields = ("function",)

    @property
    def zombie_criteria(self) -> tuple[str, ...]:
        return tuple(name for name in ZOMBIE_CRITERIA if getattr(self, name))

    @property
    def zombie_candidate(self) -> bool:
        return bool(self.zombie_criteria)
