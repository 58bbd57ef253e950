"""The append-only audit log of every access to a child's record."""
