"""The data model. Importing this package registers every mapped class on ``Base.metadata``."""
from .meta import Base, UTCDateTime, utcnow  # noqa: F401
from .org import GLOBAL_ROLES, UNIT_KINDS, UNIT_ROLES, ApiToken, Unit, User, UserRole  # noqa: F401
from .content import LocalRole, Node  # noqa: F401
from .history import AuditEntry, DeadlineEvent, HistoryEntry, LoginAttempt  # noqa: F401
