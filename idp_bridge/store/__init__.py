"""Persistence: the Store protocol (store.base), its records (store.records) and backends."""
