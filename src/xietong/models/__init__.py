"""The data model. Importing this package registers every mapped class on ``Base.metadata``."""
from .meta import Base, UTCDateTime, utcnow  # noqa: F401
from .org import GLOBAL_ROLES, UNIT_KINDS, UNIT_ROLES, ApiToken, Unit, User, UserRole  # noqa: F401
from .content import LocalRole, Node  # noqa: F401
from .history import AuditEntry, DeadlineEvent, HistoryEntry, LoginAttempt  # noqa: F401
from .register import NETWORKS, SYSTEM_STATUSES, ZOMBIE_CRITERIA, InformationSystem  # noqa: F401
from .filing import BUILD_MODES, FUNDING_KINDS, FUNDING_SOURCES, PROJECT_TYPES, Filing, filing_systems  # noqa: F401
from .plan import PLAN_ACTIONS, IntegrationPlan, PlanItem  # noqa: F401
from .rectification import RectificationOrder  # noqa: F401
from .records import Attachment, FieldChange, Notification  # noqa: F401
from .tasks import TASK_SECTIONS, DelayRequest, KeyTask, Milestone, MilestoneReminder, ProgressReport  # noqa: F401
from .reports import ANNUAL_SECTIONS, AggregateReport, AnnualReport  # noqa: F401
from .generation import SiteGeneration  # noqa: F401
