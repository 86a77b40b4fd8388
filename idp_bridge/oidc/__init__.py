"""The bridge's OpenID Provider side toward portals: requests, tokens, keys and metadata."""
