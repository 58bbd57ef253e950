"""Needs no MOU provider covered: what the district has to find a provider (or an MOU) for."""
