"""The console's policy editor: the form (checkboxes plus JSON), preview and save pages, versions and rollback."""
