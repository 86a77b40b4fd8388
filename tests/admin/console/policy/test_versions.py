"""The console's policy versions (idp_bridge/admin/console/policy/versions.py): a stored version that no longer fits
the config file is shown with its problems and cannot be restored."""

from __future__ import annotations

import json

from idp_bridge.store.records.admin import PolicyVersion
from tests.admin.console.console_harness import Console
from tests.admin.console.policy.policy_forms import (
    ROLLBACK,
    SAVE,
    confirmation,
    editor,
    problems,
    rejections,
    submit,
    versions,
)


def test_a_version_that_no_longer_fits_the_config_cannot_be_restored(admin_console: Console) -> None:
    b = admin_console.bridge
    bob = admin_console.sign_in("bob", "super_admin")
    old = json.dumps({"allowed_providers": ["okta"]})  # e.g. a provider since removed from the config file
    b.call(b.store.add_policy_version, PolicyVersion(1, old, "config-file", "old", b.clock.now(), ""))
    fields = editor(bob)  # the stored version is unusable: the editor starts from the config file's policy
    del fields["allow.globex"]
    fields["base_version"] = "1"
    assert submit(bob, SAVE, confirmation(bob, fields, "c")).status_code == 303
    page = bob.get("/admin/policy/versions/1")
    assert page.status_code == 200 and 'id="rollback-problems"' in page.text and 'id="rollback-form"' not in page.text
    refused = submit(bob, ROLLBACK, {"csrf_token": fields["csrf_token"], "version": "1"})
    assert refused.status_code == 422 and "unknown provider (got &#39;okta&#39;)" in problems(refused)
    assert [v[0] for v in versions(b.db)] == [1, 2]
    assert rejections(b.db) == [("invalid_policy", ROLLBACK)]
