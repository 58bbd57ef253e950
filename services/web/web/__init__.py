"""SPRPA web: The thin front end for operators, cadres and providers, and the local token issuer."""
