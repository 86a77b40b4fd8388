"""Persistence: the Store protocol (store.protocol.core), its records (store.records.core) and backends."""
