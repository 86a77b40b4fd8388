"""A technician's role, in one place: the effective role every consumer reads (effective) and the role mapped from
upstream groups recorded at each login (mapping). The pure rules are policies/roles.py.

May import bridge, policy and store.
"""
