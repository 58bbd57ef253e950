"""Moving a child's case to another kabupaten when the family migrates."""
