"""The bridge's OpenID Provider mechanics toward portals: registered portals, authorize requests, token minting
and exchange, signing keys, assurance values, protocol errors. No HTTP handling (that is endpoints).

May import store and config only; the Bridge holds its keys and portal registry.
"""
