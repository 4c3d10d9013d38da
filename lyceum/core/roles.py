from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The roles a person can hold. Client administrator is held per organisation."""

    LEARNER = "learner", _("Learner")
    INSTRUCTOR = "instructor", _("Instructor")
    CLIENT_ADMIN = "client_admin", _("Client administrator")
    STAFF = "staff", _("Staff")
    DPO = "dpo", _("Data protection officer")
    SUPERUSER = "superuser", _("Superuser")
