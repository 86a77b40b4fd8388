"""HTTP endpoints, one module per step of the login flow (see flow.py for what happens next)."""
