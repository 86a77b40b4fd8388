"""Observability: the request context (id, real client address, user agent), log set-up and the access log.

Owns `request_context`, `client_address` (trusted proxies), `query_redaction`, `log_setup` and `access_log`.
May import `config` only; the audit recorder and the session lookup read and note into the request context.
"""
