"""Learning follows what happens in organisations."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.db.models.signals import post_delete
from django.dispatch import receiver

from lyceum.learning.models import Enrolment
from lyceum.orgs.models import Membership


@receiver(post_delete, sender=Membership)
def _leaving_an_organisation_frees_its_seats(sender: Any, instance: Membership, **kw: Any) -> None:
    """Someone who leaves a client keeps no seat it paid for, nor a place in its classes."""
    from lyceum.learning.services import enrolment_withdraw

    if instance.accepted_at is None:
        return  # an invitation withdrawn or declined: they were never the client's
    places = Enrolment.objects.filter(
        Q(contract__organisation=instance.organisation_id)
        | Q(klass__organisation=instance.organisation_id),
        user=instance.user_id,
        status=Enrolment.Status.ACTIVE,
    )
    for enrolment in places:
        enrolment_withdraw(actor=None, enrolment=enrolment)
