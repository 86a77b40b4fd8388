"""Configuration: the validated model (config.model) and the TOML loader that reports every error at once."""

# The model module first: provider_models builds on it and is imported from its middle.
from idp_bridge.config import model as _model  # noqa: F401
