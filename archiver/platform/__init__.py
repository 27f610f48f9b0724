"""The operating system's services: systemd notifications and credentials, child processes."""
