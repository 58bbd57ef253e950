"""Who a provider calls to reach a child's family: the desa's cadre or facilitator, or the guardian."""
