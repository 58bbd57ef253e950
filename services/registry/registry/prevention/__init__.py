"""Each kabupaten's rule for prevention through community activities, versioned."""
