"""The English catalogue is complete, compiled, and actually used.

Simplified Chinese is the source language (every msgid is Chinese), so an untranslated or fuzzy
entry shows Chinese on an English page. The .po file is read with a small reader here rather than
polib, which is not a dependency.
"""

import ast
import gettext as gnu_gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.utils import translation

import jiedao
from jiedao.intake.lifecycle import Status
from jiedao.intake.models import Application

LC_MESSAGES = Path(jiedao.__file__).parent / "locale" / "en" / "LC_MESSAGES"
PO_FILE = LC_MESSAGES / "django.po"
MO_FILE = LC_MESSAGES / "django.mo"

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[str, str] = field(default_factory=dict)  # "" for singular, "0", "1", … for plurals

    @property
    def label(self) -> str:
        context = f"[{self.msgctxt}] " if self.msgctxt else ""
        return f"line {self.line}: {context}{self.msgid!r}"


def read_po(path: Path) -> list[Entry]:
    """Entries of a .po file, header included (msgid ""); obsolete (#~) entries are skipped."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, str] | None = None  # (attribute, plural index) the next "..." line extends

    def append(text: str) -> None:
        attribute, index = target
        if attribute == "msgstr":
            current.msgstr[index] = current.msgstr.get(index, "") + text
        else:
            setattr(current, attribute, (getattr(current, attribute) or "") + text)

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            current, target = None, None
            continue
        if line.startswith("#~"):
            continue
        if current is None:
            current = Entry(line=number)
            entries.append(current)
        if line.startswith("#,"):
            current.flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            append(ast.literal_eval(line))
        else:
            keyword, _, value = line.partition(" ")
            match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
            if match:
                target = ("msgstr", match.group(1))
            elif keyword == "msgstr":
                target = ("msgstr", "")
            elif keyword in {"msgid", "msgid_plural", "msgctxt"}:
                target = (keyword, "")
            else:
                raise AssertionError(f"{path.name} line {number}: cannot read {line!r}")
            append(ast.literal_eval(value))
    return entries


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    assert PO_FILE.exists(), "run `jiedao makemessages --locale en` in src/jiedao"
    return [entry for entry in read_po(PO_FILE) if entry.msgid]


def test_the_catalogue_has_entries(entries):
    assert len(entries) > 100


def test_no_entry_is_left_empty(entries):
    empty = [entry.label for entry in entries if not entry.msgstr or not all(entry.msgstr.values())]
    assert not empty, "untranslated entries:\n" + "\n".join(empty)


def test_no_entry_is_fuzzy(entries):
    fuzzy = [entry.label for entry in entries if "fuzzy" in entry.flags]
    assert not fuzzy, "fuzzy entries (check the English, then remove the flag):\n" + "\n".join(fuzzy)


def test_plural_entries_have_both_english_forms(entries):
    for entry in entries:
        if entry.msgid_plural is not None:
            assert set(entry.msgstr) == {"0", "1"}, entry.label


def test_translations_keep_every_placeholder(entries):
    wrong = []
    for entry in entries:
        wanted = set(PLACEHOLDER.findall(entry.msgid)) | set(PLACEHOLDER.findall(entry.msgid_plural or ""))
        for text in entry.msgstr.values():
            if set(PLACEHOLDER.findall(text)) != wanted:
                wrong.append(f"{entry.label} -> {text!r}")
    assert not wrong, "placeholders changed:\n" + "\n".join(wrong)


def test_the_compiled_catalogue_matches_the_po_file(entries):
    assert MO_FILE.exists(), "run `jiedao compilemessages --locale en` in src/jiedao"
    with MO_FILE.open("rb") as handle:
        compiled = gnu_gettext.GNUTranslations(handle)
    stale = []
    for entry in entries:
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if entry.msgid_plural is not None:
            if compiled.ngettext(key, entry.msgid_plural, 1) != entry.msgstr["0"]:
                stale.append(entry.label)
        elif compiled.gettext(key) != entry.msgstr[""]:
            stale.append(entry.label)
    assert not stale, "django.mo is out of date, run compilemessages:\n" + "\n".join(stale)


def test_key_strings_come_out_in_english():
    with translation.override("en"):
        assert translation.gettext("请修改下面的问题") == "Please fix the problems below"
        assert translation.gettext("受理编号") == "Reference number"
        assert translation.gettext("长辈版 大字") == "Large text"
        assert translation.gettext("标准版") == "Standard text"
        assert "neighbourhood committee" in translation.gettext("有问题找居委会")


def test_status_labels_come_out_in_english():
    expected = {
        Status.SUBMITTED: "Received",
        Status.IN_REVIEW: "In review",
        Status.NEEDS_MORE: "More documents needed",
        Status.RESUBMITTED: "Documents added",
        Status.APPROVED: "Approved",
        Status.REJECTED: "Not approved",
        Status.PAID: "Paid",
        Status.WITHDRAWN: "Withdrawn",
    }
    with translation.override("en"):
        assert {status: str(status.label) for status in Status} == expected
    with translation.override("zh-hans"):
        assert str(Status.SUBMITTED.label) == "已受理"


def test_plural_forms_follow_the_number():
    singular = plural = "街道工作人员会在%(days)s个工作日内审核。"
    with translation.override("en"):
        assert translation.ngettext(singular, plural, 1) % {"days": 1} == (
            "Subdistrict staff will review it within 1 working day."
        )
        assert translation.ngettext(singular, plural, 5) % {"days": 5} == (
            "Subdistrict staff will review it within 5 working days."
        )


@pytest.mark.parametrize(
    ("lane", "room", "english", "chinese"),
    [
        ("1021", "201", "中兴路 Lane 1021, No. 7, Room 201", "中兴路1021弄7号201室"),
        ("1021", "", "中兴路 Lane 1021, No. 7", "中兴路1021弄7号"),
        ("", "201", "中兴路 No. 7, Room 201", "中兴路7号201室"),
        ("", "", "中兴路 No. 7", "中兴路7号"),
    ],
)
def test_the_address_reads_well_in_both_languages(lane, room, english, chinese):
    application = Application(address_road="中兴路", address_lane=lane, address_number="7", address_room=room)
    with translation.override("en"):
        assert application.address == english
    with translation.override("zh-hans"):
        assert application.address == chinese
