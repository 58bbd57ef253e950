"""Authentication (bearer JWT against an issuer's JWKS) and the principal every check is made on."""
