"""Tests of idp_bridge.demo."""
