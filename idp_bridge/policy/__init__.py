"""The allowed-provider policy as data: the editable document (validated, diffed; version 1 is the config file's)
and this worker's effective copy of the newest version (source). The decisions themselves are the top-level
policies/ package; changing the policy is admin.policy_service.

May import store, wiring, config and clock; the Bridge holds the policy source.
"""
