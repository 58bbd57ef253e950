"""Read models: tables fed only by events, rebuilt by replaying every stream."""
