"""The `idp-bridge` command (main: serve, demo, check-config) and its admin, policy and MFA sub-commands, thin over
the app factory; check-config --online lives in online_check.

The top of the house: may import anything; nothing imports cli.
"""
