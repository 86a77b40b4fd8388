"""The audit trail: recording security-relevant events (recorder) and reading them back for administrators (reader).

May import store and clock only: every package above records through bridge.auditor.
"""
