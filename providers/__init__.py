"""Upstream identity providers, one module each, behind the protocol in providers.base."""
