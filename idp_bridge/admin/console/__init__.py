"""The admin console: server-rendered pages under /admin, signed in through the bridge itself.

Pages for the policy editor (console.policy) and technicians (console.technicians) are sub-packages; the request
plumbing (handler, viewer, query) is shared by all. May import admin (its services and admin.api.models for shared
validation) and everything below; never admin.api's HTTP handlers.
"""
