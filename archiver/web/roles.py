"""Who may do what in the web application (DESIGN.md 13): each action a page offers, and the
roles that may take it. Pure data: the pages ask `allowed`, the templates show only what the
signed-in person may do, and the tests walk the table role by role."""

from __future__ import annotations

OFFICER = "records-officer"  # everything of records management
REVIEWER = "reviewer"  # reads records, decides on requests
APPROVER = "approver"  # approves disposition batches
AUDITOR = "auditor"  # reads the audit and access logs
ADMIN = "admin"  # users, sources, status

# Action -> the roles that may take it.
ACTIONS: dict[str, frozenset[str]] = {
    "records.read": frozenset({OFFICER, REVIEWER}),  # search, a record, its attachments
    "records.tag": frozenset({OFFICER}),  # correct or remove a student tag
    "requests.read": frozenset({OFFICER, REVIEWER}),
    "requests.manage": frozenset({OFFICER}),  # open, add records, export, letter, close
    "requests.decide": frozenset({OFFICER, REVIEWER}),  # decisions, redactions
    "holds.read": frozenset({OFFICER, AUDITOR}),
    "holds.manage": frozenset({OFFICER}),
    "retention.read": frozenset({OFFICER, APPROVER}),
    "disposition.read": frozenset({OFFICER, APPROVER, AUDITOR}),
    "disposition.manage": frozenset({OFFICER}),  # plan, cancel, execute
    "disposition.approve": frozenset({OFFICER, APPROVER}),  # never the planner (the service)
    "students.read": frozenset({OFFICER}),
    "students.access_log": frozenset({OFFICER, AUDITOR}),
    "audit.read": frozenset({OFFICER, AUDITOR}),
    "status.read": frozenset({OFFICER, ADMIN}),
    "users.manage": frozenset({ADMIN}),
}

# Where each role lands after signing in: its first page.
HOME: dict[str, str] = {
    OFFICER: "search.search",
    REVIEWER: "search.search",
    APPROVER: "disposition.batches",
    AUDITOR: "audit.log",
    ADMIN: "status.status",
}


def allowed(role: str, action: str) -> bool:
    """Whether `role` may take `action` (KeyError for an action the table does not name: a
    page asking about an unknown action is a bug, not a refusal)."""
    return role in ACTIONS[action]
