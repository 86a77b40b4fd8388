"""Tests of what only the SQLite backend has; it passes the conformance suites as well."""
