"""CSV import of contacts: streamed, checked row by row, loaded with COPY and merged in set-based SQL.

The file is read twice, never held: once to learn its encoding, then row by row. Parsing (the CPU
cost: phone numbers) runs in a child process for large files while this process COPYs the previous
chunk into a temporary table and merges it into contacts, so both cores work. Bad rows go to an error
CSV with their line number and reason; every good row is kept. The whole import is one transaction:
it lands completely or not at all.

Counts: `imported` new contacts, `updated` existing ones (policy "update"), `skipped` rows that were
repeats of an earlier row of the file or of an existing contact (policy "skip"), `rejected` bad rows.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import multiprocessing
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from queue import Empty
from typing import IO, Any

import psycopg

from reachimpact.db import database_url, libpq_url
from reachimpact.errors import Invalid
from reachimpact.services import custom_fields
from reachimpact.services.phones import parse_phone, time_zone_for
from reachimpact.services.spreadsheet_csv import SpreadsheetWriter, unquote

CHUNK_ROWS = 20_000
# Limits of a file (README, "The API's errors and limits"): its size, its columns, and the header's
# length that holds them.
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_COLUMNS = 200
MAX_HEADER_CHARS = 64 * 1024
# Below this a child process costs more (its start-up) than it saves.
PARALLEL_FROM_BYTES = 2 << 20
TAG_SEPARATOR = "\x1f"


class DuplicatePolicy(StrEnum):
    SKIP = "skip"
    UPDATE = "update"


# Header spellings seen in exports from spreadsheets and peer tools, compared without case,
# spaces or punctuation ("Phone Number", "phone_number", "PHONE-NUMBER" are one).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "phone": (
        "phone",
        "phonenumber",
        "mobile",
        "mobilephone",
        "mobilenumber",
        "cell",
        "cellphone",
        "cellnumber",
        "telephone",
        "tel",
        "number",
        "primaryphone",
        "phone1",
        "contactnumber",
        "whatsapp",
    ),
    "first_name": ("firstname", "first", "givenname", "fname", "forename"),
    "last_name": ("lastname", "last", "surname", "familyname", "lname"),
    "name": ("name", "fullname", "contactname", "displayname"),
    "email": ("email", "emailaddress", "mail", "emailaddr"),
    "tags": ("tags", "tag", "labels", "label", "groups", "lists"),
    "time_zone": ("timezone", "tz"),
    "notes": ("notes", "note", "comments", "comment"),
}
_ALIAS_TO_FIELD = {alias: name for name, aliases in HEADER_ALIASES.items() for alias in aliases}
_EMAIL = re.compile(r"^[^@\s,;<>\"]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_TAG_SPLIT = re.compile(r"[,;|]")


def _header_key(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


@dataclass(frozen=True)
class Layout:
    """How to read one file: its encoding, delimiter, and what each column holds."""

    encoding: str
    delimiter: str
    headers: list[str]
    # Per column: a contact field, or None for a custom field named by its header.
    fields: list[str | None]

    @property
    def mapping(self) -> dict[str, str]:
        return {
            h: (f or f"custom field '{h.strip()}'") for h, f in zip(self.headers, self.fields, strict=True)
        }


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when every byte decodes as such, else Latin-1 (which always does)."""
    with path.open("rb") as f:
        if f.read(3) == codecs.BOM_UTF8:
            return "utf-8-sig"
        f.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "latin-1"
    return "utf-8"


def read_layout(path: Path) -> Layout:
    """Encoding, delimiter and column meanings; Invalid at once when the file has no phone column, or
    more columns or longer column names than a contact can hold."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise Invalid(
            f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; split it into smaller ones."
        )
    encoding = detect_encoding(path)
    with path.open(encoding=encoding, newline="") as f:
        # The header line whole (however long), then a sample of rows for the delimiter.
        header = f.readline(MAX_HEADER_CHARS + 1)
        while header and not header.strip():
            header = f.readline(MAX_HEADER_CHARS + 1)
        if len(header) > MAX_HEADER_CHARS:
            raise Invalid(
                f"The header row is longer than {MAX_HEADER_CHARS:,} characters; "
                f"a file may have at most {MAX_COLUMNS} columns."
            )
        sample = header + f.read(64 * 1024)
    lines = [line for line in sample.splitlines() if line.strip()]
    if not lines:
        raise Invalid("The file is empty.")
    try:
        delimiter = csv.Sniffer().sniff("\n".join(lines[:50]), delimiters=",;\t|").delimiter
    except csv.Error:
        # One column, or too few rows to tell: the most frequent candidate in the header wins.
        delimiter = max(",;\t|", key=lines[0].count) if any(c in lines[0] for c in ",;\t|") else ","
    headers = [unquote(header) for header in next(csv.reader([lines[0]], delimiter=delimiter))]
    if len(headers) > MAX_COLUMNS:
        raise Invalid(f"The file has {len(headers):,} columns; at most {MAX_COLUMNS} are read.")
    fields: list[str | None] = []
    for header in headers:
        name = _ALIAS_TO_FIELD.get(_header_key(header))
        fields.append(name if name and name not in fields else None)
    if "phone" not in fields:
        found = ", ".join(repr(h.strip()) for h in headers)
        raise Invalid(
            f"No phone column found. Columns in the file: {found}. "
            "Name the phone column 'phone' (or 'mobile', 'Phone Number', 'cell')."
        )
    custom = [header.strip() for header, field in zip(headers, fields, strict=True) if field is None]
    if len(custom) > custom_fields.MAX_FIELDS:
        raise Invalid(
            f"The file has {len(custom)} columns that would be custom fields; "
            f"a contact has at most {custom_fields.MAX_FIELDS}."
        )
    for name in custom:
        custom_fields.check_name(name)
    return Layout(encoding, delimiter, headers, fields)


@dataclass
class Chunk:
    """Rows ready for COPY (CSV text), the rejected rows as error-CSV text, and where the reader is."""

    copy_data: str
    good: int
    error_data: str
    rejected: int
    bytes_read: int


class _CountingReader(io.RawIOBase):
    def __init__(self, raw: IO[bytes]) -> None:
        self.raw, self.count = raw, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self.raw.readinto(buffer)  # type: ignore[attr-defined]
        self.count += n or 0
        return n or 0


def parse_chunks(path: Path, layout: Layout, region: str, chunk_rows: int = CHUNK_ROWS) -> Iterator[Chunk]:
    """Read the file row by row and yield checked, normalised rows in chunks (the CPU-heavy half)."""
    fields = layout.fields
    width = len(fields)
    phone_at = fields.index("phone")
    custom_at = [(i, layout.headers[i].strip()) for i, f in enumerate(fields) if f is None]
    at = {name: fields.index(name) for name in fields if name}
    with path.open("rb") as raw:
        counter = _CountingReader(raw)
        text = io.TextIOWrapper(io.BufferedReader(counter, 1 << 16), encoding=layout.encoding, newline="")
        reader = csv.reader(text, delimiter=layout.delimiter)
        next(reader)  # the header
        # The errors CSV repeats the row after its line and reason: the phone is its column 2 + phone_at.
        error_phone_column = [2 + phone_at]
        out, errors = io.StringIO(), io.StringIO()
        out_csv, errors_csv = (
            csv.writer(out, lineterminator="\n"),
            SpreadsheetWriter(errors, phone_columns=error_phone_column),
        )
        good = rejected = 0
        line = reader.line_num
        try:
            for row in reader:
                # A record may span lines (quoted newlines): it is reported by the line it starts on.
                start, line = line + 1, reader.line_num
                if not any(value.strip() for value in row):
                    continue
                if any(value[:1] == "'" for value in row):  # cells an export of ours quoted (spreadsheet_csv)
                    row = [unquote(value) for value in row]
                try:
                    if len(row) != width:
                        raise Invalid(f"Expected {width} columns, found {len(row)}.")
                    if "\x00" in "".join(row):  # PostgreSQL cannot store it: the row, not the file, fails
                        column = next(layout.headers[i] for i, value in enumerate(row) if "\x00" in value)
                        raise Invalid(f"Column {column.strip()!r} contains the NUL character (\\u0000).")
                    parsed = parse_phone(row[phone_at], region)
                    email = row[at["email"]].strip() if "email" in at else ""
                    if email:
                        if not _EMAIL.match(email):
                            raise Invalid(f"Email {email!r} is not valid.")
                        email = email.lower()
                    first = row[at["first_name"]].strip() if "first_name" in at else ""
                    last = row[at["last_name"]].strip() if "last_name" in at else ""
                    if "name" in at and not (first or last):
                        first, _, last = row[at["name"]].strip().rpartition(" ")
                        if not first:
                            first, last = last, ""
                    tags = ""
                    if "tags" in at and row[at["tags"]].strip():
                        cleaned = dict.fromkeys(
                            t.strip().lower()[:50] for t in _TAG_SPLIT.split(row[at["tags"]])
                        )
                        tags = TAG_SEPARATOR.join(t for t in cleaned if t)
                    custom = {name: row[i].strip() for i, name in custom_at if row[i].strip()}
                    for name, value in custom.items():
                        custom_fields.check_value(name, value)
                    if parsed.extension:
                        custom["phone_extension"] = parsed.extension
                    zone = row[at["time_zone"]].strip() if "time_zone" in at else ""
                    notes = row[at["notes"]].strip() if "notes" in at else ""
                    out_csv.writerow(
                        (
                            start,
                            first[:200],
                            last[:200],
                            parsed.e164,
                            email or None,
                            tags or None,
                            json.dumps(custom, ensure_ascii=False) if custom else None,
                            zone[:64] or time_zone_for(parsed.e164),
                            notes or None,
                        )
                    )
                    good += 1
                except Invalid as exc:
                    errors_csv.writerow([start, str(exc), *row])
                    rejected += 1
                if good + rejected >= chunk_rows:
                    yield Chunk(out.getvalue(), good, errors.getvalue(), rejected, counter.count)
                    out, errors = io.StringIO(), io.StringIO()
                    out_csv, errors_csv = (
                        csv.writer(out, lineterminator="\n"),
                        SpreadsheetWriter(errors, phone_columns=error_phone_column),
                    )
                    good = rejected = 0
        except csv.Error as exc:  # e.g. a quote left open runs to the end of the file
            raise Invalid(
                f"Line {line + 1} cannot be read ({exc}): is a quote opened there and never closed?"
            ) from None
        yield Chunk(out.getvalue(), good, errors.getvalue(), rejected, counter.count)


def _parse_in_child(path: str, layout: Layout, region: str, queue: Any) -> None:
    try:
        for chunk in parse_chunks(Path(path), layout, region):
            queue.put(chunk)
        queue.put(None)
    except Exception as exc:  # reported to the parent, which fails the import with it
        queue.put(exc if isinstance(exc, Invalid) else RuntimeError(f"{type(exc).__name__}: {exc}"))


def _chunks(path: Path, layout: Layout, region: str, parallel: bool) -> Iterator[Chunk]:
    if not parallel:
        yield from parse_chunks(path, layout, region)
        return
    # spawn, not fork: the caller may be a threaded worker or web server.
    context = multiprocessing.get_context("spawn")
    queue = context.Queue(maxsize=3)  # bounded: memory stays flat whatever the file size
    child = context.Process(target=_parse_in_child, args=(str(path), layout, region, queue), daemon=True)
    child.start()
    try:
        while True:
            try:
                item = queue.get(timeout=1)
            except Empty:
                if not child.is_alive():  # died without a word (killed, out of memory)
                    raise RuntimeError(
                        f"The CSV parser stopped unexpectedly (exit code {child.exitcode})."
                    ) from None
                continue
            if item is None:
                return
            if isinstance(item, Exception):
                raise item
            yield item
    finally:
        child.kill()
        child.join()


_STAGING = """
CREATE TEMP TABLE import_chunk (
    line integer, first_name text, last_name text, phone text, email text, tags text,
    custom_fields jsonb, time_zone text, notes text
) ON COMMIT DROP
"""
_COPY = (
    "COPY import_chunk (line, first_name, last_name, phone, email, tags, custom_fields, time_zone, notes) "
    "FROM STDIN WITH (FORMAT csv)"
)
# A time-ordered id (UUID version 7's layout: Unix milliseconds, then random bits; PostgreSQL 15 has
# no uuidv7()). The primary key and (organization_id, created_at, id) then take each new row at their
# right edge, where a random id sent it to a random page of each: that halved the merge at 1M rows.
_TIME_ORDERED_ID = (
    "encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) placing"
    " substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)"
    " FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid"
)
# First occurrence wins: inside a chunk by DISTINCT ON, across chunks because a contact this very
# transaction already wrote (xmin = our transaction) is not written again.
_MERGE = f"""
WITH src AS (
    SELECT DISTINCT ON (phone) * FROM import_chunk ORDER BY phone, line
), merged AS (
    INSERT INTO contacts AS c
        (id, organization_id, first_name, last_name, phone, email, tags, custom_fields, time_zone, notes)
    SELECT {_TIME_ORDERED_ID}, %(org)s, coalesce(first_name, ''), coalesce(last_name, ''), phone,
           email, coalesce(string_to_array(tags, E'\\x1f'), '{{}}'), coalesce(custom_fields, '{{}}'),
           time_zone, notes
    FROM src
    ON CONFLICT (organization_id, phone) DO UPDATE SET
        first_name = CASE WHEN excluded.first_name <> '' THEN excluded.first_name ELSE c.first_name END,
        last_name = CASE WHEN excluded.last_name <> '' THEN excluded.last_name ELSE c.last_name END,
        email = coalesce(excluded.email, c.email),
        tags = ARRAY(SELECT DISTINCT unnest(c.tags || excluded.tags)),
        custom_fields = c.custom_fields || excluded.custom_fields,
        time_zone = coalesce(excluded.time_zone, c.time_zone),
        notes = coalesce(excluded.notes, c.notes),
        updated_at = now()
    WHERE %(update)s AND c.xmin <> pg_current_xact_id()::xid
    RETURNING (c.xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM merged
"""


@dataclass
class ImportResult:
    imported: int = 0
    updated: int = 0
    skipped: int = 0
    rejected: int = 0
    columns: dict[str, str] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return self.imported + self.updated + self.skipped + self.rejected


def import_contacts(
    path: Path,
    *,
    organization_id: uuid.UUID,
    region: str = "US",
    on_duplicate: DuplicatePolicy = DuplicatePolicy.SKIP,
    errors_out: IO[str] | None = None,
    progress: Callable[[float, str], None] | None = None,
    parallel: bool | None = None,
) -> ImportResult:
    """Import a CSV file into the organization's contacts; rejected rows are written to `errors_out`."""
    layout = read_layout(path)
    size = max(path.stat().st_size, 1)
    if parallel is None:
        parallel = size >= PARALLEL_FROM_BYTES
    result = ImportResult(columns=layout.mapping)
    good = 0
    if errors_out is not None:
        SpreadsheetWriter(errors_out).writerow(["line", "error", *layout.headers])
    with psycopg.connect(libpq_url(database_url())) as conn:
        conn.execute(_STAGING)
        for chunk in _chunks(path, layout, region, parallel):
            if chunk.good:
                with conn.cursor().copy(_COPY) as copy:
                    copy.write(chunk.copy_data)
                imported, updated = conn.execute(
                    _MERGE, {"org": organization_id, "update": on_duplicate == DuplicatePolicy.UPDATE}
                ).fetchone()  # type: ignore[misc]
                conn.execute("TRUNCATE import_chunk")
                result.imported += imported
                result.updated += updated
                good += chunk.good
            if chunk.rejected:
                result.rejected += chunk.rejected
                if errors_out is not None:
                    errors_out.write(chunk.error_data)
            if progress:
                progress(min(chunk.bytes_read / size, 1.0) * 0.99, f"{good + result.rejected:,} rows read")
        result.skipped = good - result.imported - result.updated
        conn.commit()
    if progress:  # 99 % until the commit: the rows are not there before it
        progress(1.0, f"{good + result.rejected:,} rows read")
    return result
