"""Possible duplicate children: detection with a score, and merging."""
