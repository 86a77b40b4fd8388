"""Configuration: the validated model (config.model and its section modules) and the TOML loader that reports every
error at once.

Imports nothing else of the bridge (only pydantic and the standard library), so every package may read it.
"""
