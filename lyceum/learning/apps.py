from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "lyceum.learning"
    label = "learning"
    verbose_name = "Learning"

    def ready(self) -> None:
        from lyceum.learning import receivers  # noqa: F401 - connects the receivers
