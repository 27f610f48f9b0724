"""The records officer's web application (DESIGN.md 13)."""
