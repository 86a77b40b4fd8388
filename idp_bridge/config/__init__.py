"""Configuration: the validated model (config.model) and the TOML loader that reports every error at once."""
