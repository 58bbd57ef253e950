"""Service offerings: what an organisation provides, where, to whom, with how much room."""
