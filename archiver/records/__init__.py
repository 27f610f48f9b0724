"""Services over stored records: audit chain, integrity checks, retention (later)."""
