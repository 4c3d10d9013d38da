from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "lyceum.privacy"
    label = "privacy"
    verbose_name = "Privacy"
