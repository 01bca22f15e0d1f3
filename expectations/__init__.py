"""Validation of the extracts: parsing, row predicates, Great Expectations suites, quarantine."""
