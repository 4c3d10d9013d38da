from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "lyceum.analytics"
    label = "analytics"
    verbose_name = "Analytics"
