"""Records management (DESIGN.md section 9): retention, legal holds, requests, redaction and
export, disposition. Built by the issues that follow; nothing here yet."""
