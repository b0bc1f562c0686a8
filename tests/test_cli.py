"""The admin CLI, run as an admin would: a subprocess against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlmodel import Session, select

from reachimpact.db import PROJECT_ROOT
from reachimpact.models import Contact
from tests.factories import make_member


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reachimpact.cli", *args],
        cwd=PROJECT_ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_import_contacts_command(tmp_path: Path, session: Session) -> None:
    member = make_member(session, org_name="CLI Org")
    source = tmp_path / "people.csv"
    source.write_text("mobile,First Name\n(415) 555-0100,Ann\nnot a phone,Bob\n415 555 0101,Cy\n")

    done = cli("import-contacts", str(source), "--org", "CLI Org")
    assert done.returncode == 0, done.stderr
    assert "2 imported, 0 updated, 0 skipped, 1 rejected" in done.stdout
    assert done.stderr.rstrip().endswith("100% 3 rows read")
    errors = Path(f"{source}.errors.csv").read_text().splitlines()
    assert errors[1].startswith("3,")
    names = sorted(
        c.first_name
        for c in session.exec(select(Contact).where(Contact.organization_id == member.organization_id))
    )
    assert names == ["Ann", "Cy"]

    unknown = cli("import-contacts", str(source), "--org", "No Such Org")
    assert unknown.returncode != 0 and "No organization" in unknown.stderr
    headerless = tmp_path / "bad.csv"
    headerless.write_text("name,city\nAnn,Austin\n")
    refused = cli("import-contacts", str(headerless), "--org", str(member.organization_id))
    assert refused.returncode == 2 and "No phone column found" in refused.stderr
