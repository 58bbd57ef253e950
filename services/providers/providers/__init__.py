"""SPRPA providers: Service-provider organisations, MOUs per kabupaten, the service catalogue and the HSDS directory."""
