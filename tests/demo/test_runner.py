"""Tests for idp_bridge/demo/runner.py: the demo's policy maps bob's upstream group to Super Admin everywhere."""

from __future__ import annotations

from pathlib import Path

from idp_bridge.demo.runner import demo_config
from idp_bridge.demo.upstream import DEMO_USERS
from idp_bridge.policy.document import from_config, mapped_role


def test_the_demo_policy_maps_bobs_group_to_super_admin_on_both_upstreams(tmp_path: Path) -> None:
    upstreams = {"contoso": "http://127.0.0.1:1", "fabrikam": "http://127.0.0.1:2"}
    config = demo_config(
        issuer="http://127.0.0.1:3", portal_url="http://127.0.0.1:4", upstreams=upstreams, data_dir=tmp_path,
        secret_key="k" * 40, portal_secret="portal-secret-0123456789",
    )  # fmt: skip
    document = from_config(config)
    for user in DEMO_USERS:
        expected = "super_admin" if user.sub == "bob" else None
        assert [mapped_role(document, pid, user.groups, ()) for pid in upstreams] == [expected, expected], user.sub
