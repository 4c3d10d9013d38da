from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "lyceum.learning"
    label = "learning"
    verbose_name = "Learning"
