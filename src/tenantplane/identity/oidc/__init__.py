"""OpenID Connect single sign-on per tenant: provider settings, the code + PKCE flow, ID-token checks, JIT users."""
