from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "lyceum.privacy"
    label = "privacy"
    verbose_name = "Privacy"

    def ready(self) -> None:
        # Every app's privacy.py declares its models in the register.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("privacy")
        from lyceum.privacy import receivers  # noqa: F401 - connects the receivers
