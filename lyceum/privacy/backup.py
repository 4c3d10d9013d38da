"""Encrypted backups (P51): the database and the media folder in one file, and a restore
that re-applies every erasure made since the backup, so an erased person never comes back.

A backup file is a header line (``lyceum-backup/1`` and a fingerprint of the key), then
frames: a 4-byte big-endian length and a Fernet token under ``LYCEUM_BACKUP_KEY``. Each
token holds up to 4 MiB of a tar stream, after the file's random id, the chunk's number and
whether it is the last, so no frame can be changed, dropped, reordered, borrowed from
another backup or cut off the end unnoticed. The tar holds ``manifest.json``, the database
(``database.sqlite3`` from SQLite's online backup API, or ``database.pgdump`` from
``pg_dump --format=custom``) and ``media/``. Nothing is held whole in memory.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import re
import secrets
import shutil
import sqlite3
import struct
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from importlib import import_module
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from lyceum.privacy import carry
from lyceum.privacy.audit import audit_record
from lyceum.privacy.erasure import reapply_ledger
from lyceum.privacy.models import ErasureLedger, ProcessingLimit, RightsRequest

FORMAT = "lyceum-backup/1"
CHUNK_SIZE = 4 * 1024 * 1024
_FRAME_LENGTH = struct.Struct(">I")
_CHUNK_HEAD = struct.Struct(">16sQ?")  # the file's id, the chunk's number, whether it is last
# A token is about 4/3 of its chunk; a longer length can only come from a damaged file.
_MAX_TOKEN = 2 * CHUNK_SIZE
_DUMP_NAMES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
_VENDOR_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


class BackupError(Exception):
    """A backup cannot be written, read or restored; the message tells the operator why."""


@dataclass(frozen=True)
class BackupReport:
    path: Path
    size: int
    manifest: dict[str, Any]


@dataclass(frozen=True)
class UnpackedBackup:
    """A backup decrypted and checked into a private temporary folder."""

    directory: Path
    manifest: dict[str, Any]

    @property
    def created_at(self) -> str:
        return str(self.manifest["created_at"])

    @property
    def database(self) -> Path:
        return self.directory / _DUMP_NAMES[self.manifest["database"]["vendor"]]

    @property
    def media(self) -> Path:
        return self.directory / "media"


@dataclass(frozen=True)
class RestoreReport:
    """What a restore did, in counts only: never who was erased."""

    backup_created_at: str
    ledger_lines_brought_forward: int
    people_erased_again: int
    requests_carried_forward: int
    migrations_applied: int

    def as_json(self) -> dict[str, Any]:
        return {
            "backup_created_at": self.backup_created_at,
            "ledger_lines_brought_forward": self.ledger_lines_brought_forward,
            "people_erased_again": self.people_erased_again,
            "requests_carried_forward": self.requests_carried_forward,
            "migrations_applied": self.migrations_applied,
        }


def backup_create(*, path: Path, force: bool = False) -> BackupReport:
    """Write the database and the media folder, encrypted, to ``path`` (mode 0600) (P51).

    The database copy is consistent while the server runs. An existing file is replaced only
    with ``force``, and only once the new backup is complete."""
    fernet = _fernet()
    vendor = _vendor()
    media_root = _media_root()
    if path.exists() and not force:
        raise BackupError(f"{path} already exists; pass --force to replace it.")
    if not path.parent.is_dir():
        raise BackupError(f"The folder {path.parent} does not exist.")
    with tempfile.TemporaryDirectory(prefix="lyceum-backup-") as work:
        dump = _dump_database(Path(work) / _DUMP_NAMES[vendor])
        # Listed after the dump: a file is written before the row naming it, so every file
        # the dump names is found (unless deleted meanwhile, with its row).
        media = _media_files(media_root)
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "database": {"vendor": vendor},
            "migrations": sorted(
                f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations()
            ),
            "counts": {
                "people": get_user_model()._base_manager.count(),
                "erasure_ledger_lines": len(_current_ledger()),
                "media_files": len(media),
            },
        }
        with _new_file(path, force=force) as out:
            sealed = _SealingWriter(out, fernet)
            # A stream ("w|", "r|") needs only write or read, not the seek the stubs ask for.
            stream = cast(IO[bytes], sealed)
            with tarfile.open(fileobj=stream, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                _add_bytes(tar, "manifest.json", json.dumps(manifest, indent=2).encode())
                tar.add(dump, arcname=dump.name)
                for relative in media:
                    _add_media_file(tar, media_root, relative)
            sealed.close()
    audit_record(action="backup.created")
    return BackupReport(path=path, size=path.stat().st_size, manifest=manifest)


@contextmanager
def backup_unpacked(*, path: Path) -> Iterator[UnpackedBackup]:
    """Decrypt and check a whole backup into a private temporary folder, removed afterwards.

    Every token must authenticate, in order, to the last; the manifest must be readable and
    match this install. Nothing outside the temporary folder is touched."""
    fernet = _fernet()
    vendor = _vendor()
    _media_root()
    try:
        source = path.open("rb")
    except OSError as error:
        raise BackupError(f"Cannot read {path}: {error.strerror}.") from error
    with source, tempfile.TemporaryDirectory(prefix="lyceum-restore-") as work:
        directory = Path(work)
        opened = _OpeningReader(source, fernet)
        try:
            with tarfile.open(fileobj=cast(IO[bytes], opened), mode="r|") as tar:
                for member in tar:
                    if not member.isfile() or not _expected_member(member.name):
                        raise BackupError(f"The backup holds an unexpected entry: {member.name}.")
                    tar.extract(member, directory, filter="data")
        except tarfile.TarError as error:
            raise BackupError(f"The backup's contents are damaged ({error}).") from error
        opened.read_to_end()
        manifest = _read_manifest(directory / "manifest.json")
        backup = UnpackedBackup(directory=directory, manifest=manifest)
        if manifest["database"]["vendor"] != vendor:
            raise BackupError(
                f"This backup holds a {_VENDOR_NAMES[manifest['database']['vendor']]} database; "
                f"this install uses {_VENDOR_NAMES[vendor]}."
            )
        if not backup.database.is_file():
            raise BackupError("The backup holds no database.")
        unknown = _unknown_migrations(manifest.get("migrations", []))
        if unknown:
            raise BackupError(
                "This backup was made by a newer version of Lyceum (migrations "
                f"{', '.join(unknown[:3])}{'...' if len(unknown) > 3 else ''} are unknown here)."
            )
        _check_dump(backup.database, vendor)
        yield backup


def backup_restore(*, backup: UnpackedBackup) -> RestoreReport:
    """Replace the database and the media folder with a checked backup's, then erase again
    everyone in the erasure ledger, including people erased after the backup (P51).

    The ledger lines the backup lacks are read from the database before it is replaced and
    written into the restored one. Once the database is replaced, erasures are re-applied
    even if the media folder cannot be."""
    ledger = _current_ledger()
    pending = settings.VAR_DIR / "restore-ledger.json"
    if pending.exists():  # a restore that died before carrying its ledger forward
        earlier = json.loads(pending.read_text())
        ledger += [(d, datetime.fromisoformat(t)) for d, t in earlier]
    # Kept on disk until the restored database has it: digests and dates, nobody's data.
    pending.write_text(json.dumps([(d, t.isoformat()) for d, t in ledger]))
    carried = _requests_since(backup.created_at)
    connections.close_all()
    if backup.manifest["database"]["vendor"] == "sqlite":
        _restore_sqlite(backup.database)
    else:
        _restore_postgresql(backup.database, backup.directory)
    media_error = None
    try:
        _replace_media(backup.media)
    except OSError as error:
        media_error = error
    migrations_applied = _migrate()
    with transaction.atomic():
        restored = set(ErasureLedger.objects.values_list("subject_digest", flat=True))
        missing = [
            ErasureLedger(subject_digest=digest, erased_at=erased_at)
            for digest, erased_at in ledger
            if digest not in restored
        ]
        ErasureLedger.objects.bulk_create(missing, ignore_conflicts=True)
        requests_carried = carry.reapply(carried) if carried else 0
        erased_again = reapply_ledger()
        # Sessions in the backup would let people back in as they were then: all end.
        SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
        SessionStore.get_model_class().objects.all().delete()
        audit_record(action="backup.restored")
    pending.unlink(missing_ok=True)
    if media_error is not None:
        raise BackupError(
            "The database was restored and erasures re-applied, but the media folder could "
            f"not be replaced: {media_error}. Fix that and restore again (erasures are carried "
            "forward each time)."
        )
    return RestoreReport(
        backup_created_at=backup.created_at,
        ledger_lines_brought_forward=len(missing),
        people_erased_again=len(erased_again),
        requests_carried_forward=requests_carried,
        migrations_applied=migrations_applied,
    )


def _requests_since(created_at: str) -> dict[str, list[dict[str, Any]]] | None:
    """Rights requests, restrictions and objections made since the backup (None when the
    live database does not have those tables yet)."""
    tables = connection.introspection.table_names()
    if not {RightsRequest._meta.db_table, ProcessingLimit._meta.db_table} <= set(tables):
        return None
    return carry.requests_since(datetime.fromisoformat(created_at))


def _fernet() -> Fernet:
    try:
        return Fernet(settings.LYCEUM_BACKUP_KEY)
    except (TypeError, ValueError) as error:
        raise BackupError(
            "LYCEUM_BACKUP_KEY is not a Fernet key (32 url-safe base64-encoded bytes)."
        ) from error


def _key_fingerprint() -> str:
    """Names the key in the header, so a wrong key is told apart from a damaged file."""
    key = str(settings.LYCEUM_BACKUP_KEY).encode()
    return hmac.new(key, b"lyceum-backup key fingerprint", hashlib.sha256).hexdigest()[:16]


def _vendor() -> str:
    if connection.vendor not in _DUMP_NAMES:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {connection.vendor}.")
    return connection.vendor


def _media_root() -> Path:
    root = Path(settings.MEDIA_ROOT)
    # An empty MEDIA_ROOT would mean the current folder, which a restore would empty.
    if not settings.MEDIA_ROOT or not root.is_absolute():
        raise BackupError("MEDIA_ROOT must be an absolute path.")
    return root


def _media_files(root: Path) -> list[Path]:
    """Regular files under the media folder, relative to it; symbolic links are skipped."""
    files = []
    for folder, _dirs, names in os.walk(root):
        for name in names:
            full = Path(folder) / name
            if full.is_file() and not full.is_symlink():
                files.append(full.relative_to(root))
    return sorted(files)


def _expected_member(name: str) -> bool:
    return name == "manifest.json" or name in _DUMP_NAMES.values() or name.startswith("media/")


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(timezone.now().timestamp())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def _add_media_file(tar: tarfile.TarFile, root: Path, relative: Path) -> None:
    try:
        file = (root / relative).open("rb")
    except FileNotFoundError:
        return  # deleted since the folder was listed: the database no longer names it either
    with file:
        info = tar.gettarinfo(arcname=f"media/{relative.as_posix()}", fileobj=file)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        tar.addfile(info, file)


@contextmanager
def _new_file(path: Path, *, force: bool) -> Iterator[BinaryIO]:
    """Write ``path`` with mode 0600, whole or not at all: the backup is written beside it
    and moved into place once complete."""
    if not force:
        try:  # claim the name now, so a file created meanwhile is not replaced either
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            raise BackupError(f"{path} already exists; pass --force to replace it.") from None
    descriptor, partial = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        if not force:
            path.unlink(missing_ok=True)
        raise


class _SealingWriter:
    """Encrypts what is written to it, chunk by chunk, into the backup file's frames."""

    def __init__(self, out: BinaryIO, fernet: Fernet) -> None:
        self._out = out
        self._fernet = fernet
        self._file_id = secrets.token_bytes(16)
        self._number = 0
        self._buffer = bytearray()
        out.write(f"{FORMAT} key={_key_fingerprint()}\n".encode())

    def write(self, data: bytes) -> int:
        self._buffer += data
        # Strictly more than a chunk: the last chunk, written by close(), is never empty
        # unless the whole stream is.
        while len(self._buffer) > CHUNK_SIZE:
            self._seal(bytes(self._buffer[:CHUNK_SIZE]), last=False)
            del self._buffer[:CHUNK_SIZE]
        return len(data)

    def close(self) -> None:
        self._seal(bytes(self._buffer), last=True)
        self._buffer.clear()

    def _seal(self, chunk: bytes, *, last: bool) -> None:
        token = self._fernet.encrypt(_CHUNK_HEAD.pack(self._file_id, self._number, last) + chunk)
        self._out.write(_FRAME_LENGTH.pack(len(token)) + token)
        self._number += 1


class _OpeningReader:
    """Reads a backup file's plaintext, checking every frame as it goes."""

    def __init__(self, source: BinaryIO, fernet: Fernet) -> None:
        self._source = source
        self._fernet = fernet
        self._file_id = b""
        self._number = 0
        self._buffer = bytearray()
        self._ended = False
        header = source.readline(200)
        if not header.startswith(b"lyceum-backup/"):
            raise BackupError("This file is not a Lyceum backup.")
        fields = header.split()
        if fields[0].decode(errors="replace") != FORMAT:
            raise BackupError(
                f"This backup's format ({fields[0].decode(errors='replace')}) is not {FORMAT}: "
                "it was made by another version of Lyceum."
            )
        if f"key={_key_fingerprint()}".encode() not in fields[1:]:
            raise BackupError(
                "This backup was made with another LYCEUM_BACKUP_KEY: set the key it was made with."
            )

    def read(self, size: int = -1) -> bytes:
        while not self._ended and (size < 0 or len(self._buffer) < size):
            self._buffer += self._open_next()
        size = len(self._buffer) if size < 0 else size
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def read_to_end(self) -> None:
        """Check the frames the tar reader did not need (its padding), to the last one."""
        while not self._ended:
            self._open_next()
        if self._source.read(1):
            raise BackupError("The backup is damaged: there is data after its end.")

    def _open_next(self) -> bytes:
        prefix = self._source.read(_FRAME_LENGTH.size)
        if len(prefix) < _FRAME_LENGTH.size:
            raise BackupError("The backup is incomplete: it ends early (cut off?).")
        (length,) = _FRAME_LENGTH.unpack(prefix)
        if length > _MAX_TOKEN:
            raise BackupError(f"The backup is damaged at part {self._number + 1}.")
        token = self._source.read(length)
        if len(token) < length:
            raise BackupError("The backup is incomplete: it ends early (cut off?).")
        try:
            plaintext = self._fernet.decrypt(token)
        except InvalidToken:
            raise BackupError(
                f"The backup is damaged or was changed: part {self._number + 1} does not "
                "authenticate."
            ) from None
        if len(plaintext) < _CHUNK_HEAD.size:
            raise BackupError(f"The backup is damaged at part {self._number + 1}.")
        file_id, number, last = _CHUNK_HEAD.unpack_from(plaintext)
        if self._number == 0:
            self._file_id = file_id
        if file_id != self._file_id or number != self._number:
            raise BackupError("The backup is damaged: parts are missing, repeated or out of order.")
        self._number += 1
        self._ended = last
        return plaintext[_CHUNK_HEAD.size :]


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(path.read_text())
        if manifest["format"] != FORMAT:
            raise BackupError(f"The backup's manifest is for {manifest['format']}, not {FORMAT}.")
        if manifest["database"]["vendor"] not in _DUMP_NAMES:
            raise BackupError(
                f"The backup holds an unsupported database: {manifest['database']['vendor']}."
            )
        datetime.fromisoformat(manifest["created_at"])
    except FileNotFoundError as error:
        raise BackupError("The backup has no manifest.") from error
    except (ValueError, KeyError, TypeError) as error:
        raise BackupError(f"The backup's manifest cannot be read ({error}).") from error
    return dict(manifest)


def _unknown_migrations(applied: list[str]) -> list[str]:
    """Migrations the backup's database has and this code does not know (a newer version)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = {f"{app}.{name}" for app, name in loader.disk_migrations}
    for migration in loader.disk_migrations.values():
        known.update(f"{app}.{name}" for app, name in migration.replaces)
    return sorted(set(applied) - known)


def _dump_database(out: Path) -> Path:
    if connection.vendor == "sqlite":
        with (
            closing(sqlite3.connect(_sqlite_file(), timeout=20)) as source,
            closing(sqlite3.connect(out)) as target,
        ):
            source.backup(target)  # in one step: a consistent snapshot while others write
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    else:
        _run_postgresql("pg_dump", "--format=custom", f"--file={out}")
    return out


def _check_dump(dump: Path, vendor: str) -> None:
    """The database in the backup can be read, before anything is replaced by it."""
    if vendor == "sqlite":
        try:
            with closing(sqlite3.connect(f"{dump.as_uri()}?mode=ro", uri=True)) as database:
                result = database.execute("PRAGMA quick_check").fetchone()
        except sqlite3.DatabaseError as error:
            raise BackupError(f"The backup's database is damaged ({error}).") from error
        if result != ("ok",):
            raise BackupError(f"The backup's database is damaged ({result[0]}).")
    else:
        _run_postgresql("pg_restore", "--list", str(dump), connect=False)


def _sqlite_file() -> str:
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return name


def _run_postgresql(program: str, *arguments: str, connect: bool = True) -> str:
    """Run a PostgreSQL client on the database Django uses now (in tests, the test one)."""
    executable = shutil.which(program)
    if executable is None:
        raise BackupError(f"{program} is not installed (it comes with postgresql-client).")
    settings_dict = connection.settings_dict
    command = [executable, "--no-password", *arguments]
    _, environment = connection.client.settings_to_cmd_args_env(settings_dict, [])
    if connect:
        for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
            if settings_dict.get(key):
                command.append(f"{option}={settings_dict[key]}")
        command.append(f"--dbname={settings_dict['NAME']}")
    # The password goes in the environment, never on a command line others can read.
    result = subprocess.run(  # noqa: S603 (a fixed program; no shell)
        command,
        env={**os.environ, **(environment or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"{program} failed: {result.stderr.strip()}")
    return result.stdout


def _current_ledger() -> list[tuple[str, datetime]]:
    if ErasureLedger._meta.db_table not in connection.introspection.table_names():
        return []  # a database from before the ledger existed has none
    return list(ErasureLedger.objects.values_list("subject_digest", "erased_at"))


def _restore_sqlite(dump: Path) -> None:
    # SQLite's backup API writes into the live file under its lock, in one transaction.
    try:
        with (
            closing(sqlite3.connect(f"{dump.as_uri()}?mode=ro", uri=True)) as source,
            closing(sqlite3.connect(_sqlite_file(), timeout=20)) as target,
        ):
            source.backup(target)
    except sqlite3.Error as error:
        raise BackupError(
            f"The database could not be replaced ({error}); it is unchanged."
        ) from error


def _restore_postgresql(dump: Path, work: Path) -> None:
    """Replace the database's tables with the dump's, in one transaction: if anything fails,
    the database is left as it was.

    Tables the dump lacks (made by migrations newer than the backup) are dropped too, as
    ``--clean`` would not, and their foreign keys would stop it dropping the dump's."""
    listing = _run_postgresql("pg_restore", "--list", str(dump), connect=False)
    restored = set(re.findall(r"^\d+; \d+ \d+ TABLE (?!DATA )(\S+) (\S+) ", listing, re.M))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT schemaname, tablename FROM pg_tables WHERE schemaname = ANY(%s)",
            [sorted({schema for schema, _table in restored})],
        )
        newer = sorted(set(cursor.fetchall()) - restored)
    connections.close_all()
    quote = connection.ops.quote_name
    (work / "drop-newer-tables.sql").write_text(
        "".join(f"DROP TABLE {quote(schema)}.{quote(table)} CASCADE;\n" for schema, table in newer)
    )
    script = work / "restore.sql"
    _run_postgresql(
        "pg_restore",
        "--clean",
        "--if-exists",
        "--no-owner",
        f"--file={script}",
        str(dump),
        connect=False,
    )
    try:
        _run_postgresql(
            "psql",
            "--no-psqlrc",
            "--quiet",
            "--set=ON_ERROR_STOP=1",
            "--single-transaction",
            f"--file={work / 'drop-newer-tables.sql'}",
            f"--file={script}",
        )
    except BackupError as error:
        raise BackupError(f"{error} The database is unchanged.") from error


def _replace_media(staged: Path) -> None:
    root = _media_root()
    root.mkdir(parents=True, exist_ok=True)
    for entry in root.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    if staged.is_dir():
        for entry in staged.iterdir():
            shutil.move(entry, root / entry.name)


def _migrate() -> int:
    """Bring a backup made by an older version up to this code's schema."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        call_command("migrate", interactive=False, verbosity=0)
    return len(plan)
