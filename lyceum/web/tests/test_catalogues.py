"""Every string shipped is translated in French and Ukrainian, and the compiled catalogues
committed beside the sources are up to date."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[2] / "locale"


def _po_entries(po: str) -> list[tuple[str, bool]]:
    """(msgid, fuzzy or untranslated) for every entry but the header and obsolete ones."""
    entries = []
    for block in po.split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        if not any(line.startswith("msgid ") for line in lines):
            continue
        text = "\n".join(lines)
        head = text.split("msgstr")[0].split("msgid_plural")[0]
        msgid = "".join(re.findall(r'^(?:msgid )?"(.*)"$', head, re.M))
        msgstrs = re.split(r"^msgstr(?:\[\d\])? ", text, flags=re.M)[1:]
        empty = any(not "".join(re.findall(r'"(.*)"', m)) for m in msgstrs)
        if msgid:
            entries.append((msgid, "#, fuzzy" in text or empty))
    return entries


@pytest.mark.parametrize("language", ["fr", "uk"])
def test_catalogue_is_complete_and_compiled(language):
    folder = LOCALE / language / "LC_MESSAGES"
    entries = _po_entries((folder / "django.po").read_text(encoding="utf-8"))
    assert entries, "empty catalogue"
    assert [m for m, fuzzy in entries if fuzzy] == []
    with (folder / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    catalog = compiled._catalog  # type: ignore[attr-defined]
    translated = {(k[0] if isinstance(k, tuple) else k) for k, v in catalog.items() if k and v}
    source = {m.replace('\\"', '"').replace("\\n", "\n") for m, _ in entries}
    assert sorted(source - translated) == []
