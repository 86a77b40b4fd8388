"""Tests of the Store: the conformance suites every backend passes, and each backend's own."""
