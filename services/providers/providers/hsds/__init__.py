"""Open Referral HSDS 3.0 export of the provider directory."""
