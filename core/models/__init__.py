"""The domain models, one module per aggregate; import them from here."""

from core.models.account import RecoveryCode
from core.models.activity import ACTIVITY_KINDS, Activity
from core.models.alias import ALIAS_KINDS, LeadAlias
from core.models.appointment import APPOINTMENT_KINDS, APPOINTMENT_STATUSES, Appointment, Attendee
from core.models.audit import AuditEntry
from core.models.bulk_run import BULK_RUN_STATUSES, BulkRun
from core.models.consent import CONSENT_PURPOSES, ConsentRecord
from core.models.enterprise import ZONES, Enterprise, EnterpriseContact, PortalLink, enterprise_plot
from core.models.event import Event, event_staff
from core.models.export import Export, export_lead
from core.models.facilitation import (
    APPROVAL_STATUSES,
    ActionItem,
    ApprovalStep,
    Meeting,
    ProjectIssue,
)
from core.models.inbound_mail import INBOUND_STATUSES, InboundMail, MailboxState
from core.models.job_run import JOB_RUN_STATUSES, JobRun
from core.models.lead import (
    FORWARD_RANK,
    FORWARD_STAGES,
    LEAD_RATINGS,
    LEAD_SOURCES,
    LEAD_STAGES,
    Contact,
    Inquiry,
    Lead,
    lead_plot,
)
from core.models.lead_file import LEAD_FILE_KINDS, LeadFile
from core.models.lead_import import ImportJob, ImportMapping, ImportMerge, ImportReview
from core.models.notification import (
    NOTIFICATION_KINDS,
    WEBHOOK_STATUSES,
    Notification,
    WebhookMessage,
)
from core.models.outbox import OutboxEmail
from core.models.pipeline import (
    LIST_KINDS,
    AssignmentRule,
    DuplicateCandidate,
    ListItem,
    SavedFilter,
    Setting,
    StageChange,
)
from core.models.plot import PLOT_STATUSES, UTILITIES, UTILITY_STATES, Plot, PlotUtility
from core.models.project import (
    EVIDENCE_KINDS,
    PROJECT_STAGES,
    DeadlineExtension,
    Project,
    ProjectMilestone,
    project_plot,
)
from core.models.referral import (
    DECLINE_REASONS,
    REFERRAL_DECISIONS,
    Referral,
    ReferralUpdate,
)
from core.models.stored_file import StoredFile
from core.models.touch import FirmPair, LeadTouch
from core.models.user import ROLES, Team, User

__all__ = [
    "APPOINTMENT_KINDS",
    "APPOINTMENT_STATUSES",
    "Appointment",
    "Attendee",
    "INBOUND_STATUSES",
    "InboundMail",
    "MailboxState",
    "FirmPair",
    "LeadTouch",
    "ALIAS_KINDS",
    "BULK_RUN_STATUSES",
    "BulkRun",
    "JOB_RUN_STATUSES",
    "JobRun",
    "ACTIVITY_KINDS",
    "LIST_KINDS",
    "Activity",
    "AssignmentRule",
    "DuplicateCandidate",
    "ListItem",
    "SavedFilter",
    "Setting",
    "StageChange",
    "CONSENT_PURPOSES",
    "LEAD_RATINGS",
    "LEAD_SOURCES",
    "FORWARD_RANK",
    "FORWARD_STAGES",
    "LEAD_STAGES",
    "PLOT_STATUSES",
    "ROLES",
    "UTILITIES",
    "UTILITY_STATES",
    "AuditEntry",
    "DECLINE_REASONS",
    "Enterprise",
    "EnterpriseContact",
    "PortalLink",
    "EVIDENCE_KINDS",
    "DeadlineExtension",
    "APPROVAL_STATUSES",
    "ActionItem",
    "ApprovalStep",
    "Meeting",
    "ProjectIssue",
    "PROJECT_STAGES",
    "Project",
    "ProjectMilestone",
    "project_plot",
    "REFERRAL_DECISIONS",
    "Referral",
    "ReferralUpdate",
    "ZONES",
    "enterprise_plot",
    "ConsentRecord",
    "Event",
    "Export",
    "Contact",
    "ImportJob",
    "ImportMapping",
    "ImportMerge",
    "ImportReview",
    "Inquiry",
    "Lead",
    "LeadAlias",
    "LeadFile",
    "LEAD_FILE_KINDS",
    "OutboxEmail",
    "NOTIFICATION_KINDS",
    "WEBHOOK_STATUSES",
    "Notification",
    "WebhookMessage",
    "Plot",
    "RecoveryCode",
    "StoredFile",
    "PlotUtility",
    "Team",
    "User",
    "event_staff",
    "export_lead",
    "lead_plot",
]
