"""Reading and keeping the archive: show, search, reindex, verify, the audit log, the roster and
tags, keys."""
