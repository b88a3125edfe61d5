"""Use cases: checking, coverage, publishing, log integration, verification, redaction, queries."""
