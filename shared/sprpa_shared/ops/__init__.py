"""Running the system rather than serving requests: the command line every service shares, the
embedded PostgreSQL and NATS, the stack runner of `make run`, backups, the local mail sink and
the breach-notification query."""
