"""What the registry learns from the referral engine: case progress and who may see a child."""
