"""idp-bridge: an OIDC identity-provider bridge with step-up MFA."""

__version__ = "0.1.0"
