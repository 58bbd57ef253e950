"""Webhooks for integrating systems, after the Standard Webhooks specification: the CloudEvents
the services publish (ids and codes only), signed, at least once, in order per subject."""
