"""People and API clients, managed by the district (and a provider organisation's admins)."""
