"""Writes of the privacy engine: each atomic, audit-logged, with its jobs queued on commit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lyceum.privacy.audit import audit_record
from lyceum.privacy.export import archive_name, export_archive
from lyceum.privacy.models import DataExport

EXPORT_LIFETIME = timedelta(days=7)


@transaction.atomic
def data_export_request(*, user: Any, base_url: str) -> DataExport:
    """Ask for a copy of one's data (P41): no staff involved; a job builds it at once and the
    person is emailed when it is ready. A request already being prepared is reused."""
    from lyceum.privacy.tasks import build_data_export

    pending = DataExport.objects.filter(user=user, status=DataExport.Status.PENDING).first()
    if pending is not None:
        return pending
    export = DataExport.objects.create(user=user)
    audit_record(action="privacy.export.requested", actor=user, target=export, subject=user)
    transaction.on_commit(lambda: build_data_export(export.pk, base_url))
    return export


@transaction.atomic
def data_export_build(*, export_id: int, base_url: str) -> DataExport:
    export = DataExport.objects.select_for_update().select_related("user").get(pk=export_id)
    if export.status != DataExport.Status.PENDING:
        return export  # the job ran already: jobs may be delivered twice
    user = export.user
    export.archive.save(
        archive_name(), ContentFile(export_archive(user=user, actor=user)), save=False
    )
    export.status = DataExport.Status.READY
    export.ready_at = timezone.now()
    export.expires_at = export.ready_at + EXPORT_LIFETIME
    export.save(update_fields=["archive", "status", "ready_at", "expires_at"])
    link = base_url.rstrip("/") + reverse("privacy:data")
    with translation.override(user.language):
        subject = _("Your data is ready to download")
        body = render_to_string(
            "privacy/export_ready_email.txt",
            {"user": user, "link": link, "expires_at": export.expires_at},
        )
    transaction.on_commit(lambda: send_mail(subject, body, None, [user.email]))
    return export


@transaction.atomic
def data_export_download(*, export: DataExport, user: Any) -> None:
    audit_record(action="privacy.export.downloaded", actor=user, target=export, subject=user)


def data_exports_expire() -> int:
    """Delete copies past their 7 days, files included; returns how many."""
    expired = DataExport.objects.filter(expires_at__lt=timezone.now())
    count = 0
    for export in expired.iterator():
        with transaction.atomic():
            if export.archive:
                export.archive.delete(save=False)
            export.delete()
            count += 1
    return count
