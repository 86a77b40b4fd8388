"""Reading the configuration file for a command: the config, or every problem on stderr (the caller exits 2)."""

from __future__ import annotations

import sys

from idp_bridge.config.loader import ConfigError, load_config
from idp_bridge.config.model import Config


def load_or_report(path: str) -> Config | None:
    try:
        return load_config(path)
    except ConfigError as exc:
        print(f"{path}: configuration is invalid:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return None
