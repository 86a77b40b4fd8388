"""The admin JSON API under /admin/api: bearer-token authentication, request models, its OpenAPI document, and
one module per resource (policy, people, audit and tokens).

May import admin and everything admin may import; never admin.console.
"""
