"""What the district enters itself, beside what the events tell: pilot targets and KLA scorecard entries."""
