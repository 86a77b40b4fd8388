"""HTTP helpers every endpoint shares: page rendering, reading parameters defensively, header values, the security
headers middleware and redirects back to portals.

Imports nothing else of the bridge.
"""
