"""The admin console: server-rendered pages under /admin, signed in through the bridge itself."""
