"""The Store conformance suites: one mixin per protocol part, run against every backend in conftest.BACKENDS."""
