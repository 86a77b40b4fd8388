"""The `idp-bridge demo` pieces: a stand-in upstream OIDC provider process and a small demo portal."""
