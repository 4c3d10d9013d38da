from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from lyceum.core.request_context import RequestOrigin, reset_origin, set_origin
from lyceum.privacy.audit import audit_record, audit_verify
from lyceum.privacy.models import AuditEvent, AuditHead


@pytest.fixture
def chain(db):
    token = set_origin(RequestOrigin(ip="203.0.113.7", user_agent="Firefox"))
    try:
        events = [audit_record(action=f"test.{i}", actor=1, subject=2) for i in range(5)]
    finally:
        reset_origin(token)
    return events


def test_p16_intact_chain_verifies(chain):
    report = audit_verify()
    assert report.ok, report.problems
    assert report.checked == 5
    call_command("audit", "verify")


def test_p16_edited_event_is_detected(chain):
    AuditEvent.objects.filter(pk=chain[2].pk).update(action="test.innocent")
    report = audit_verify()
    assert not report.ok
    assert any("event 3" in p and "changed" in p for p in report.problems)
    with pytest.raises(CommandError):
        call_command("audit", "verify")


def test_p16_edited_changed_fields_or_actor_is_detected(chain):
    AuditEvent.objects.filter(pk=chain[1].pk).update(actor_id=99)
    assert not audit_verify().ok


def test_p16_inserted_event_is_detected(chain):
    forged = AuditEvent.objects.get(pk=chain[4].pk)
    AuditEvent.objects.filter(pk=chain[4].pk).delete()
    # An attacker slips in an event and relinks what followed; the hashes no longer match.
    forged.pk = forged.id = 5
    forged.action = "test.forged"
    forged.save(force_insert=True)
    report = audit_verify()
    assert not report.ok


def test_p16_inserted_event_with_new_id_is_detected(chain):
    last = AuditEvent.objects.get(pk=chain[4].pk)
    AuditEvent.objects.create(
        id=6,
        created_at=last.created_at,
        action="test.extra",
        origin_digest="",
        prev_hash=last.hash,
        hash="f" * 64,
    )
    report = audit_verify()
    assert not report.ok


def test_p16_deleted_event_is_detected(chain):
    AuditEvent.objects.filter(pk=chain[2].pk).delete()
    report = audit_verify()
    assert not report.ok
    assert any("missing" in p for p in report.problems)


def test_p16_deleted_last_event_is_detected(chain):
    AuditEvent.objects.filter(pk=chain[4].pk).delete()
    report = audit_verify()
    assert not report.ok


def test_p16_changed_ip_is_detected_but_erasing_it_is_allowed(chain):
    AuditEvent.objects.filter(pk=chain[0].pk).update(ip="198.51.100.1")
    assert not audit_verify().ok
    AuditEvent.objects.filter(pk=chain[0].pk).update(ip=None, user_agent="", origin_salt="")
    # Erasing the request origin (its retention ended) keeps the chain verifiable.
    assert audit_verify().ok


def test_p15_event_records_who_what_when_where(chain):
    event = AuditEvent.objects.get(pk=chain[0].pk)
    assert (event.actor_id, event.subject_id, event.action) == (1, 2, "test.0")
    assert event.ip == "203.0.113.7"
    assert event.user_agent == "Firefox"
    assert event.created_at is not None
    assert AuditHead.objects.get().count == 5


def test_p16_rolled_back_change_leaves_no_event(db):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(action="test.rolled_back")
        raise RuntimeError
    assert not AuditEvent.objects.exists()
    assert audit_verify().ok


def test_p16_a_lost_chain_head_is_rebuilt_and_the_rebuild_is_recorded(chain):
    AuditHead.objects.all().delete()
    audit_record(action="test.after")
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions[-2:] == ["audit.head_rebuilt", "test.after"]
    assert audit_verify().ok


def test_p16_concurrent_appends_keep_one_unbroken_chain(transactional_db):
    import threading

    from django.db import connection

    errors: list[BaseException] = []

    def append_many() -> None:
        try:
            for i in range(10):
                audit_record(action=f"test.concurrent.{i}")
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=append_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    report = audit_verify()
    assert report.ok, report.problems
    assert report.checked == 40
