"""The local token issuer: OIDC discovery, JWKS, the token endpoint, users and API clients."""
