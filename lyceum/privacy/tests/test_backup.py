from __future__ import annotations

import io
import json
import os
import stat
import struct
from datetime import datetime

import pytest
from allauth.account.models import EmailAddress
from cryptography.fernet import Fernet
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from lyceum.accounts.models import User
from lyceum.privacy.audit import audit_verify
from lyceum.privacy.backup import FORMAT
from lyceum.privacy.erasure import erase, ledger_digest
from lyceum.privacy.models import AuditEvent, DataExport, ErasureLedger

# A restore replaces the database file or runs pg_restore: the data must really be committed.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def school(make_user, media):
    """Two people, each with a copy of their data on disk."""
    ada = make_user(email="ada@example.org", name="Ada Lovelace")
    bob = make_user(email="bob@example.org", name="Bob Dupont")
    return {"ada": ada, "bob": bob, "ada_copy": _copy(ada, b"Ada's data"), "bob_copy": _copy(bob)}


def _copy(user, content: bytes = b"archive") -> DataExport:
    export = DataExport.objects.create(user=user, status=DataExport.Status.READY)
    export.archive.save("copy.zip", ContentFile(content))
    return export


def _create(path) -> str:
    out = io.StringIO()
    call_command("backup", "create", str(path), stdout=out)
    return out.getvalue()


def _restore(path) -> dict:
    out = io.StringIO()
    call_command("backup", "restore", str(path), "--yes", stdout=out)
    return json.loads(out.getvalue())


def _frames(raw: bytes) -> tuple[bytes, list[bytes]]:
    """The header line and the frames (length prefix and token) of a backup file."""
    header_end = raw.index(b"\n") + 1
    frames, at = [], header_end
    while at < len(raw):
        (length,) = struct.unpack(">I", raw[at : at + 4])
        frames.append(raw[at : at + 4 + length])
        at += 4 + length
    return raw[:header_end], frames


def test_p51_a_restore_never_brings_back_a_person_erased_after_the_backup(school, media, tmp_path):
    path = tmp_path / "school.lyceum-backup"
    line = _create(path)
    assert str(path) in line
    assert "2 people" in line
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = path.read_bytes()
    assert raw.startswith(FORMAT.encode())
    for plaintext in (b"ada@example.org", b"Ada Lovelace", b"Ada's data", b"manifest.json"):
        assert plaintext not in raw

    bob = school["bob"]
    erase(bob.pk)
    assert not User.objects.filter(pk=bob.pk).exists()

    summary = _restore(path)

    assert datetime.fromisoformat(summary["backup_created_at"])
    assert summary["ledger_lines_brought_forward"] == 1
    assert summary["people_erased_again"] == 1
    assert "bob" not in json.dumps(summary).lower()
    ada = User.objects.get(pk=school["ada"].pk)
    assert ada.email == "ada@example.org"
    assert (media / school["ada_copy"].archive.name).read_bytes() == b"Ada's data"
    assert not User.objects.filter(pk=bob.pk).exists()
    assert not EmailAddress.objects.filter(email="bob@example.org").exists()
    assert not DataExport.objects.filter(user_id=bob.pk).exists()
    assert not (media / school["bob_copy"].archive.name).exists()
    assert ErasureLedger.objects.filter(subject_digest=ledger_digest(bob.public_id)).exists()
    assert AuditEvent.objects.filter(action="backup.restored").count() == 1
    assert audit_verify().ok


def test_p51_a_restore_drops_later_data_but_keeps_later_erasures(
    school, make_user, media, tmp_path
):
    path = tmp_path / "school.lyceum-backup"
    _create(path)
    make_user(email="cleo@example.org", name="Cleo Later")
    (media / "later.txt").write_text("made after the backup")
    erase(school["bob"].pk)
    line = ErasureLedger.objects.get()

    summary = _restore(path)

    assert not User.objects.filter(email="cleo@example.org").exists()
    assert not (media / "later.txt").exists()
    assert User.objects.filter(pk=school["ada"].pk).exists()
    assert not User.objects.filter(pk=school["bob"].pk).exists()
    assert ErasureLedger.objects.get().erased_at == line.erased_at
    # Restoring the same backup again carries the line forward again: nothing is lost.
    summary = _restore(path)
    assert summary["ledger_lines_brought_forward"] == 1
    assert summary["people_erased_again"] == 1
    assert not User.objects.filter(pk=school["bob"].pk).exists()


def test_p51_an_erasure_recorded_in_the_backup_itself_holds(school, tmp_path):
    erase(school["bob"].pk)
    path = tmp_path / "school.lyceum-backup"
    _create(path)

    summary = _restore(path)

    assert summary["ledger_lines_brought_forward"] == 0
    assert summary["people_erased_again"] == 0
    assert not User.objects.filter(pk=school["bob"].pk).exists()
    assert User.objects.filter(pk=school["ada"].pk).exists()


@pytest.fixture
def large_backup(school, media, tmp_path):
    """A backup of several parts (a media file larger than one 4 MiB chunk)."""
    (media / "recording.bin").write_bytes(os.urandom(5 * 1024 * 1024))
    path = tmp_path / "school.lyceum-backup"
    _create(path)
    return path


def _flip_a_byte(raw: bytes) -> bytes:
    middle = len(raw) // 2
    return raw[:middle] + bytes([raw[middle] ^ 0x01]) + raw[middle + 1 :]


def _drop_last_part(raw: bytes) -> bytes:
    header, frames = _frames(raw)
    return header + b"".join(frames[:-1])


def _swap_parts(raw: bytes) -> bytes:
    header, frames = _frames(raw)
    return header + frames[1] + frames[0] + b"".join(frames[2:])


def _add_a_part(raw: bytes) -> bytes:
    header, frames = _frames(raw)
    return header + b"".join(frames) + frames[-1]


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (_flip_a_byte, "does not authenticate"),
        (lambda raw: raw[:-100], "ends early"),
        (_drop_last_part, "ends early"),
        (_swap_parts, "out of order"),
        (_add_a_part, "after its end"),
        (lambda raw: b"PK\x03\x04 a zip file", "not a Lyceum backup"),
    ],
)
def test_p51_a_damaged_backup_is_refused_and_nothing_changes(
    large_backup, make_user, media, damage, message
):
    raw = large_backup.read_bytes()
    assert len(_frames(raw)[1]) == 2
    large_backup.write_bytes(damage(raw))
    dora = make_user(email="dora@example.org", name="Dora After")
    (media / "later.txt").write_text("made after the backup")

    with pytest.raises(CommandError, match=message) as refused:
        _restore(large_backup)

    assert "Nothing was changed" in str(refused.value)
    assert User.objects.filter(pk=dora.pk).exists()
    assert User.objects.count() == 3
    assert (media / "later.txt").exists()
    assert not AuditEvent.objects.filter(action="backup.restored").exists()


def test_p51_a_backup_needs_its_key(school, make_user, media, tmp_path):
    path = tmp_path / "school.lyceum-backup"
    _create(path)
    dora = make_user(email="dora@example.org", name="Dora After")
    other_key = Fernet.generate_key().decode()

    with (
        override_settings(LYCEUM_BACKUP_KEY=other_key),
        pytest.raises(CommandError, match="another LYCEUM_BACKUP_KEY"),
    ):
        _restore(path)

    # The header's key fingerprint only names the key: forging it gets no further.
    from lyceum.privacy.backup import _key_fingerprint

    _header, frames = _frames(path.read_bytes())
    with override_settings(LYCEUM_BACKUP_KEY=other_key):
        path.write_bytes(f"{FORMAT} key={_key_fingerprint()}\n".encode() + b"".join(frames))
        with pytest.raises(CommandError, match="part 1 does not authenticate"):
            _restore(path)

    assert User.objects.filter(pk=dora.pk).exists()
    assert User.objects.filter(pk=school["ada"].pk).exists()


def test_p51_a_backup_never_overwrites_a_file_unless_forced(school, tmp_path):
    path = tmp_path / "school.lyceum-backup"
    path.write_bytes(b"something else")

    with pytest.raises(CommandError, match="already exists"):
        _create(path)
    assert path.read_bytes() == b"something else"

    call_command("backup", "create", str(path), "--force", stdout=io.StringIO())
    assert path.read_bytes().startswith(FORMAT.encode())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_p51_a_restore_asks_for_confirmation(school, make_user, settings, tmp_path, monkeypatch):
    path = tmp_path / "school.lyceum-backup"
    _create(path)
    dora = make_user(email="dora@example.org", name="Dora After")

    # Run without a terminal (as under cron): nobody can answer, so nothing is restored.
    monkeypatch.setattr("sys.stdin", io.StringIO("yes\n"))
    with pytest.raises(CommandError, match="--yes"):
        call_command("backup", "restore", str(path), stdout=io.StringIO())
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="in production, pass --yes"):
        call_command("backup", "restore", str(path), stdout=io.StringIO())

    assert User.objects.filter(pk=dora.pk).exists()


def test_p51_a_backup_from_before_an_upgrade_is_brought_up_to_date_and_erasures_hold(
    school, tmp_path
):
    path = tmp_path / "school.lyceum-backup"
    # The backup is made by a version of Lyceum that had no erasure ledger yet.
    call_command("migrate", "privacy", "0003", verbosity=0)
    try:
        _create(path)
    finally:
        call_command("migrate", verbosity=0)
    erase(school["bob"].pk)

    summary = _restore(path)

    assert summary["migrations_applied"] >= 1
    assert summary["ledger_lines_brought_forward"] == 1
    assert summary["people_erased_again"] == 1
    assert not User.objects.filter(pk=school["bob"].pk).exists()
    assert User.objects.filter(pk=school["ada"].pk).exists()
    assert ErasureLedger.objects.filter(
        subject_digest=ledger_digest(school["bob"].public_id)
    ).exists()


def test_p51_a_restore_keeps_deletions_restrictions_and_requests_made_since(school, tmp_path):
    from lyceum import privacy
    from lyceum.privacy.models import RightsRequest
    from lyceum.privacy.register import Purpose
    from lyceum.privacy.services import (
        erasure_request,
        processing_limit_set,
        rectification_request,
    )

    path = tmp_path / "school.lyceum-backup"
    _create(path)
    ada, bob = school["ada"], school["bob"]
    pending = erasure_request(user=bob, actor=bob, base_url="/")
    processing_limit_set(user=ada, actor=ada, kind="objection", purpose="marketing", on=True)
    asked = rectification_request(user=ada, details="My name is Ada Byron.", base_url="/")

    summary = _restore(path)

    assert summary["requests_carried_forward"] >= 3
    bob = User.objects.get(pk=bob.pk)
    assert not bob.is_active  # still out of use, and still due to be erased
    carried = RightsRequest.objects.get(public_id=pending.public_id)
    assert (carried.status, carried.user_id) == ("in_progress", bob.pk)
    assert carried.scheduled_for == pending.scheduled_for
    assert not privacy.allows(ada, Purpose.MARKETING)
    assert RightsRequest.objects.get(public_id=asked.public_id).details == "My name is Ada Byron."
