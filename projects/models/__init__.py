"""The projects app's models, by subject:

- `tenancy`: territories, organisations, memberships, national roles;
- `workflow`: the stages of a project and the moves between them;
- `registry`: projects and their rows (funding plan, indicators, milestones, documents,
  reserves);
- `calls`: calls for projects, their sections, applications;
- `jobs`: documents produced in the background;
- `imports`: tables of projects uploaded to be taken up;
- `audit`, `validators`: the queryset that keeps the history, the fields' validators.
"""

from ..access import NationalRole, Role
from .audit import TrackedQuerySet
from .calls import (
    Application,
    ApplicationProject,
    ApplicationStatus,
    Call,
    CallSection,
    SectionAnswer,
)
from .imports import ImportStatus, ProjectImport, import_upload_to
from .jobs import ReportJob, ReportJobStatus, ReportKind
from .registry import (
    Axis,
    Document,
    DocumentKind,
    FundingInstrument,
    FundingLine,
    FundingStatus,
    Indicator,
    IndicatorKind,
    Milestone,
    Project,
    Reserve,
    document_upload_to,
)
from .tenancy import Membership, NationalMembership, Organisation, OrganisationKind, Territory
from .validators import validate_not_future, validate_single_line, validate_siren
from .workflow import (
    AUTOMATIC,
    COORDINATOR,
    LEAD,
    LEAD_EDITABLE_STAGES,
    MAIN_PATH,
    MEETING_HELD,
    MOVES,
    PRIVATE_STAGES,
    PROGRESS_STAGES,
    SIDE_STAGES,
    Move,
    Stage,
)

__all__ = [
    "AUTOMATIC",
    "COORDINATOR",
    "LEAD",
    "LEAD_EDITABLE_STAGES",
    "MAIN_PATH",
    "MEETING_HELD",
    "MOVES",
    "PRIVATE_STAGES",
    "PROGRESS_STAGES",
    "SIDE_STAGES",
    "Application",
    "ApplicationProject",
    "ApplicationStatus",
    "Axis",
    "Call",
    "CallSection",
    "Document",
    "DocumentKind",
    "FundingInstrument",
    "FundingLine",
    "FundingStatus",
    "Indicator",
    "ImportStatus",
    "IndicatorKind",
    "Membership",
    "Milestone",
    "Move",
    "NationalMembership",
    "NationalRole",
    "Organisation",
    "OrganisationKind",
    "Project",
    "ProjectImport",
    "ReportJob",
    "ReportJobStatus",
    "ReportKind",
    "Reserve",
    "Role",
    "SectionAnswer",
    "Stage",
    "Territory",
    "TrackedQuerySet",
    "document_upload_to",  # named by the migrations
    "import_upload_to",  # named by the migrations
    "validate_not_future",
    "validate_single_line",
    "validate_siren",
]
