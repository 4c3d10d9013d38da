from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "lyceum.orgs"
    label = "orgs"
    verbose_name = "Organisations"
