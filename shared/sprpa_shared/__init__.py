"""SPRPA platform package: what every service stands on. It knows no child, provider or referral."""
