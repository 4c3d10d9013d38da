from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "lyceum.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # allauth and Django announce sign-ins and MFA changes only through signals.
        from lyceum.accounts import receivers  # noqa: F401
