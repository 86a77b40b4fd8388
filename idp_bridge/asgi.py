"""ASGI entry point for multi-worker serving: builds the app from the file named by IDP_BRIDGE_CONFIG."""

from __future__ import annotations

import os

from starlette.applications import Starlette

from idp_bridge.app import create_app
from idp_bridge.config.loader import load_config
from idp_bridge.observability.log_setup import configure_logging

CONFIG_ENV = "IDP_BRIDGE_CONFIG"


def app_from_environment() -> Starlette:
    """uvicorn factory (`--factory`); each worker process loads the same, already checked, configuration."""
    config = load_config(os.environ[CONFIG_ENV])
    configure_logging(config.logging)  # a spawned worker inherits no logging set-up from `serve`
    return create_app(config)
