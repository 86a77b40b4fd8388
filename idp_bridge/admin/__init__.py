"""Security-team administration: the versioned policy, API tokens, technicians, sessions, audit (issue 6)."""
