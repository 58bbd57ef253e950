"""Community activities of a desa (socialisation, Forum Anak sessions, group after-school activities...),
their sessions and attendance: anonymous counts as reach, registered children by id."""
