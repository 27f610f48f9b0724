"""The `archiver` command: one module per noun; each parses arguments, calls a service, prints."""
