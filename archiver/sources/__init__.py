"""Where messages come from: files, mbox, maildir (and IMAP)."""
