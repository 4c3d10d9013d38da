"""A throwaway OpenID Connect provider for Lyceum's sign-in tests.

A small standalone Django project built on django-oauth-toolkit: it signs ID tokens
with an RSA key made at start-up (RS256), serves discovery, JWKS, authorization,
token and userinfo endpoints under ``/o/``, and has its own sign-in page.  It hands
out more about a person than Lyceum asks for (picture, locale, birthdate, phone),
so the tests can check that Lyceum keeps name and email only (P12).

Start it with ``python -m tests.oidc_provider.serve --state-dir DIR`` from the
repository root; ``DIR/config.json`` names the clients and people (see ``serve``).
"""
