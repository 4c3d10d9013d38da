from django.apps import AppConfig


class SpeechConfig(AppConfig):
    name = "lyceum.speech"
    label = "speech"
    verbose_name = "Speech"
