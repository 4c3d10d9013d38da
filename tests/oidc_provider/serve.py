"""Start the test OpenID Connect provider: set it up, then serve it.

    python -m tests.oidc_provider.serve --state-dir DIR      (from the repository root)

``DIR/config.json`` lists the client applications and the people who can sign in::

    {
      "clients": [{"name": "google", "client_id": "...", "client_secret": "...",
                   "redirect_uris": ["http://localhost:8000/accounts/oidc/google/login/callback/"]}],
      "people": [{"email": "alice@example.org", "password": "...", "name": "Alice Liddell"}]
    }

The provider keeps its SQLite database in DIR, listens on a free 127.0.0.1 port and,
once it accepts connections, writes that port number to ``DIR/port``.  Its issuer is
``http://127.0.0.1:<port>/o``.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any


def bootstrap(config: dict[str, Any]) -> None:
    """Create the tables, the people and the confidential RS256 client applications."""
    # This project keeps Django's own User model (the provider's people, not Lyceum's).
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from oauth2_provider.models import Application

    call_command("migrate", interactive=False, verbosity=0)

    for person in config["people"]:
        first, _, last = person["name"].partition(" ")
        user, _ = User.objects.update_or_create(
            username=person["email"],
            defaults={"email": person["email"], "first_name": first, "last_name": last},
        )
        user.set_password(person["password"])
        user.save()

    for client in config["clients"]:
        Application.objects.filter(client_id=client["client_id"]).delete()
        Application.objects.create(
            name=client["name"],
            client_id=client["client_id"],
            client_secret=client["client_secret"],  # hashed on save
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=" ".join(client["redirect_uris"]),
            algorithm=Application.RS256_ALGORITHM,
            skip_authorization=True,
        )


def serve(state_dir: Path) -> None:
    """Serve on a free 127.0.0.1 port until stopped; the port goes to ``state_dir/port``."""
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    httpd = ThreadedWSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
    httpd.set_app(get_wsgi_application())
    port_file = state_dir / "port"
    partial = state_dir / "port.partial"
    partial.write_text(str(httpd.server_address[1]))
    partial.replace(port_file)  # whole or absent, never half written
    try:
        httpd.serve_forever()
    finally:
        httpd.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the test OpenID Connect provider.")
    parser.add_argument("--state-dir", type=Path, required=True)
    args = parser.parse_args()
    state_dir: Path = args.state_dir.resolve()

    # Whatever the parent process used, this is a separate project with its own settings.
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.oidc_provider.settings"
    os.environ["OIDC_PROVIDER_STATE_DIR"] = str(state_dir)

    import django

    django.setup()
    bootstrap(json.loads((state_dir / "config.json").read_text()))
    serve(state_dir)


if __name__ == "__main__":
    main()
