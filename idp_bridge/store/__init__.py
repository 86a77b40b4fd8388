"""Persistence: the Store protocol (store.protocol: core, mfa, session_rules, admin), its records (store.records, the
same four parts) and one package per backend with the same inner names (store.sqlite: core, mfa, session_rules,
admin, schema, codec). tests/store/conformance runs unchanged against every backend.

Imports nothing of the bridge outside store (the pure policies/ package is allowed). A backend imports the
protocol, the records and itself, never another backend.
"""
