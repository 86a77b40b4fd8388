"""The console's technician pages: search, one technician's settings form, and their second factors (reset, codes)."""
