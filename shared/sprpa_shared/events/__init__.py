"""Events: CloudEvents envelope, transactional outbox and relay, idempotent inbox consumer."""
