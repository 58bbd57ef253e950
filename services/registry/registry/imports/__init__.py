"""Bulk import of baseline surveys (CSV or XLSX, English or Indonesian headers)."""
