"""The engine's own copy of the provider directory, fed only by provider events."""
