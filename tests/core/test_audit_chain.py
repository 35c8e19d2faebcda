"""The keyed audit chain, its anchors and its archive (docs/adr/0007), on SQLite and PostgreSQL.

The attacker of issue 13 works on the database itself: lifts the append-only triggers by their
own names, deletes entries, recomputes the hashes and puts the triggers back.
"""

import base64
import datetime as dt
import gzip
import importlib
import io
import json
import os
import stat
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from fengqiao import env
from fengqiao.core import audit, periodic
from fengqiao.core.commands import system_user
from fengqiao.core.context import Source, acting_as
from fengqiao.core.models import AuditArchive, AuditChainHead, AuditEntry

TRIGGERS = importlib.import_module("fengqiao.core.migrations.0008_keyed_audit_chain")
OTHER_KEY = bytes(range(32))


@pytest.fixture(autouse=True)
def _own_files(settings, tmp_path):
    settings.AUDIT_KEY = b"k" * 32
    settings.AUDIT_ANCHOR_FILE = tmp_path / "anchors.log"
    settings.AUDIT_ARCHIVE_DIR = tmp_path / "archive"


def reveals_and_a_pdf(personas, count: int = 8) -> list[AuditEntry]:
    """What an officer's morning leaves: whole numbers revealed, one whole-number PDF exported."""
    made = []
    with acting_as(personas.officer, Source.WEB, ip="10.0.0.7"), transaction.atomic():
        for n in range(count):
            if n == 4:
                entry = audit.record(
                    audit.EXPORT,
                    object_type="registry.person",
                    object_repr="人口名单.pdf",
                    after={"format": "pdf", "whole_numbers": True, "rows": 120},
                    reason="案件协查",
                )
            else:
                entry = audit.record(
                    audit.REVEAL,
                    object_type="registry.person",
                    object_id=str(1000 + n),
                    after={"field": "id_number"},
                    reason="核查身份",
                )
            made.append(entry)
    return made


def verify(*options: str) -> str:
    out = io.StringIO()
    call_command("audit", "verify", *options, stdout=out)
    return out.getvalue()


# -- the attacker --------------------------------------------------------------------------------


def lift_triggers(cursor):
    if connection.vendor == "postgresql":
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no foreign-key check pending on the table
        cursor.execute("ALTER TABLE core_auditentry DISABLE TRIGGER core_auditentry_append_only")
    else:
        for sql in TRIGGERS.SQLITE_REVERSE:  # DROP TRIGGER core_auditentry_no_update, …_no_delete
            cursor.execute(sql)


def restore_triggers(cursor):
    if connection.vendor == "postgresql":
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE core_auditentry ENABLE TRIGGER core_auditentry_append_only")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    else:
        for sql in TRIGGERS.SQLITE:
            cursor.execute(sql)


def rewrite(delete_ids, *, rehash):
    """Delete entries and re-chain the rest with ``rehash(row) -> (scheme, hash)``; move the head."""
    with transaction.atomic(), connection.cursor() as cursor:
        lift_triggers(cursor)
        for pk in delete_ids:
            cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [pk])
        prev = audit.GENESIS_HASH
        for row in AuditEntry.objects.order_by("id").values(*audit._STORED):
            if row["id"] < min(delete_ids):  # what comes before the first deleted entry stays
                prev = row["entry_hash"]
                continue
            row["prev_hash"] = prev
            row["scheme"], row["entry_hash"] = rehash(row)
            cursor.execute(
                "UPDATE core_auditentry SET prev_hash = %s, scheme = %s, entry_hash = %s WHERE id = %s",
                [row["prev_hash"], row["scheme"], row["entry_hash"], row["id"]],
            )
            prev = row["entry_hash"]
        mac = audit.head_mac(prev, row["scheme"]) if row["scheme"] != audit.LEGACY else ""
        cursor.execute("UPDATE core_auditchainhead SET last_hash = %s, mac = %s WHERE id = 1", [prev, mac])
        restore_triggers(cursor)
    # the guard is back: nothing more goes through
    with connection.cursor() as cursor, pytest.raises(DatabaseError), transaction.atomic():
        cursor.execute("UPDATE core_auditentry SET reason = 'x'")


def unkeyed(row):
    return audit.LEGACY, audit.chain_hash({**row, "scheme": audit.LEGACY})


def with_the_key(row):
    return row["scheme"], audit.chain_hash(row)


# -- keyed entries -------------------------------------------------------------------------------


def test_entries_are_keyed_hmacs_under_the_audit_key(personas, settings):
    entries = reveals_and_a_pdf(personas, 3)
    assert {e.scheme for e in entries} == {audit.preferred_scheme()}
    assert audit.preferred_scheme() in (audit.HMAC_SM3, audit.HMAC_SHA256)
    assert audit.verify_chain().ok
    # the same rows under another key do not verify: the hash needs the key
    settings.AUDIT_KEY = OTHER_KEY
    report = audit.verify_chain()
    assert report.broken_at == entries[0].pk
    assert "content does not match" in report.problem


def test_sm3_where_openssl_offers_it():
    from cryptography.hazmat.backends import default_backend
    from cryptography.hazmat.primitives import hashes

    expected = audit.HMAC_SM3 if default_backend().hmac_supported(hashes.SM3()) else audit.HMAC_SHA256
    assert audit.preferred_scheme() == expected


def test_the_key_file_is_made_once_with_0600(personas, settings, tmp_path):
    # given no key in the environment and no key file
    settings.AUDIT_KEY = None
    settings.AUDIT_KEY_FILE = tmp_path / "keys" / "audit.key"
    # then verifying an empty chain needs no key, and makes none
    assert audit.verify_chain().ok
    assert not settings.AUDIT_KEY_FILE.exists()
    # when the first entry is written, the key file is made, readable by its owner only
    reveals_and_a_pdf(personas, 1)
    assert stat.S_IMODE(os.stat(settings.AUDIT_KEY_FILE).st_mode) == 0o600
    key = env.parse_key("key file", settings.AUDIT_KEY_FILE.read_text())
    assert len(key) == 32
    assert key.hex() not in json.dumps(list(AuditEntry.objects.values_list()), default=str)
    assert audit.verify_chain().ok
    # and a machine without that key cannot vouch for the chain
    settings.AUDIT_KEY_FILE = tmp_path / "elsewhere.key"
    with pytest.raises(CommandError, match="no audit key"):
        verify()


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("6b" * 32, b"k" * 32),
        ("a2tr" * 8, b"kkk" * 8),
        ("_-_-" * 8, base64.urlsafe_b64decode("_-_-" * 8)),
        ("a2tra2tra2tra2tra2tra2tr", b"kkk" * 6),
    ],
)
def test_keys_are_read_in_hex_or_base64(raw, key):
    assert env.parse_key("FENGQIAO_AUDIT_KEY", raw) == key


@pytest.mark.parametrize("raw", ["00ff", "not a key!", "c2hvcnQ="])
def test_short_or_garbled_keys_are_refused(raw, monkeypatch):
    monkeypatch.setenv("FENGQIAO_AUDIT_KEY", raw)
    with pytest.raises(ImproperlyConfigured, match="FENGQIAO_AUDIT_KEY must be a key of at least 16 bytes"):
        env.env_key("FENGQIAO_AUDIT_KEY")


def test_a_retention_under_six_months_stops_start_up(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "import fengqiao.settings"],
        env={
            "PATH": "/usr/bin:/bin",
            "FENGQIAO_DEBUG": "1",
            "FENGQIAO_DATA_DIR": str(tmp_path),
            "FENGQIAO_AUDIT_RETENTION_DAYS": "90",
        },
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "FENGQIAO_AUDIT_RETENTION_DAYS must be at least 183" in result.stderr


# -- the rewrite of issue 13 ---------------------------------------------------------------------


def test_a_rewrite_with_the_key_passes_verify_but_not_the_anchor(personas, settings):
    # given reveals and a whole-number PDF, anchored by the worker's job
    entries = reveals_and_a_pdf(personas)
    audit.write_anchor()
    pdf = next(e for e in entries if e.action == "export")
    assert "verified" in verify("--anchor", str(settings.AUDIT_ANCHOR_FILE))

    # when someone with the database and the key drops two reveals and the PDF, re-chains the rest
    # with the key and puts the triggers back
    rewrite([entries[2].pk, pdf.pk, entries[6].pk], rehash=with_the_key)

    # then the chain alone looks intact: the key is not enough
    assert AuditEntry.objects.count() == len(entries) - 3
    assert "audit chain intact: 5 entries verified" in verify()
    # but the anchor kept outside the database finds the rewrite, and names the anchored entry
    last = entries[-1]
    with pytest.raises(CommandError, match=f"broken at entry #{last.pk}: its hash is not the one anchored"):
        verify("--anchor", str(settings.AUDIT_ANCHOR_FILE))


def test_an_anchor_vouches_for_what_it_covered(personas, settings):
    # given an anchor at the third entry, and more entries after it
    entries = reveals_and_a_pdf(personas, 3)
    audit.write_anchor()
    entries += reveals_and_a_pdf(personas, 3)
    # when an entry written after the anchor is dropped and the tail re-chained with the key
    rewrite([entries[4].pk], rehash=with_the_key)
    # then the anchor still holds: it covers the chain up to the third entry, no further (the
    # next anchor would have caught it)
    assert audit.verify_chain(anchors=audit.read_anchors(settings.AUDIT_ANCHOR_FILE)).ok
    # while a rewrite reaching back before it does not pass
    rewrite([entries[1].pk], rehash=with_the_key)
    report = audit.verify_chain(anchors=audit.read_anchors(settings.AUDIT_ANCHOR_FILE))
    assert report.broken_at == entries[2].pk
    assert "its hash is not the one anchored" in report.problem


def test_a_rewrite_without_the_key_fails_plain_verify(personas):
    # given a keyed chain
    entries = reveals_and_a_pdf(personas)
    # when someone without the key drops three entries and re-chains the rest with a key of their own
    rewrite([e.pk for e in entries[2:5]], rehash=lambda row: (row["scheme"], _forged(row)))
    # then the first re-hashed entry is named
    with pytest.raises(CommandError, match=f"broken at entry #{entries[5].pk}: its content does not match"):
        verify()


def _forged(row):
    from cryptography.hazmat.primitives import hashes, hmac

    payload = {name: row[name] for name in audit._HASHED}
    payload["created_at"] = row["created_at"].astimezone(dt.UTC).isoformat()
    payload["scheme"] = row["scheme"]
    mac = hmac.HMAC(OTHER_KEY, hashes.SHA256())
    mac.update(b"entry\n" + audit._canonical(payload))
    return mac.finalize().hex()


def test_falling_back_to_unkeyed_hashes_does_not_pass(personas):
    # given a keyed chain, when someone without the key re-chains it all as plain SHA-256 entries
    entries = reveals_and_a_pdf(personas, 4)
    rewrite([entries[1].pk], rehash=unkeyed)
    # then verify refuses entries anyone could have written after keyed ones
    report = audit.verify_chain()
    assert report.broken_at == entries[2].pk
    assert report.problem == "it is not keyed (plain SHA-256) but follows keyed entries"
    # and a chain re-written as plain SHA-256 from the start ends in entries nobody vouches for
    rewrite([entries[0].pk], rehash=unkeyed)
    report = audit.verify_chain()
    assert report.broken_at == entries[-1].pk
    assert "the chain ends in entries that are not keyed" in report.problem


def test_cutting_the_tail_without_the_key_shows_at_the_head(personas):
    entries = reveals_and_a_pdf(personas, 4)
    with transaction.atomic(), connection.cursor() as cursor:
        lift_triggers(cursor)
        cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [entries[-1].pk])
        cursor.execute("UPDATE core_auditchainhead SET last_hash = %s WHERE id = 1", [entries[-2].entry_hash])
        restore_triggers(cursor)
    report = audit.verify_chain()
    assert report.broken_at == entries[-2].pk
    assert report.problem == "the chain head is not signed by this audit key"


# -- entries from before the key -----------------------------------------------------------------


def unkeyed_entries(count: int) -> list[AuditEntry]:
    """Entries as the chain wrote them before it was keyed: plain SHA-256."""
    prev = audit.GENESIS_HASH
    for n in range(count):
        fields = {
            "created_at": timezone.now(),
            "actor_id": None,
            "actor_label": "",
            "action": "login_failed",
            "object_type": "",
            "object_id": f"user{n}",
            "object_repr": "",
            "before": None,
            "after": None,
            "reason": "",
            "source": "web",
            "request_id": "",
            "ip": "10.0.0.1",
            "prev_hash": prev,
            "scheme": audit.LEGACY,
        }
        prev = AuditEntry.objects.create(**fields, entry_hash=audit.chain_hash(fields)).entry_hash
    AuditChainHead.objects.update_or_create(pk=1, defaults={"last_hash": prev, "mac": ""})
    return list(AuditEntry.objects.order_by("id"))


def test_the_migration_seals_unkeyed_entries_with_the_key(personas):
    # given entries written before the chain was keyed: they verify, but anyone could rewrite them
    old = unkeyed_entries(3)
    assert "not keyed" in audit.verify_chain().problem
    # when the migration seals them (it calls this with its historical models)
    seal_id = audit.seal_legacy_chain()
    # then the chain verifies, the seal covering the last unkeyed hash, and goes on keyed
    seal = AuditEntry.objects.get(pk=seal_id)
    assert (seal.action, seal.prev_hash, seal.scheme) == (
        "audit_keyed",
        old[-1].entry_hash,
        audit.preferred_scheme(),
    )
    assert seal.after == {"unkeyed_entries": 3, "scheme": audit.preferred_scheme()}
    reveals_and_a_pdf(personas, 2)
    assert audit.verify_chain().ok
    assert audit.seal_legacy_chain() is None  # once
    # and an unkeyed entry rewritten with a recomputed SHA-256 breaks at the seal
    with transaction.atomic(), connection.cursor() as cursor:
        lift_triggers(cursor)
        row = AuditEntry.objects.filter(pk=old[-1].pk).values(*audit._STORED).get()
        row["object_id"] = "someone else"
        cursor.execute(
            "UPDATE core_auditentry SET object_id = %s, entry_hash = %s WHERE id = %s",
            [row["object_id"], audit.chain_hash(row), row["id"]],
        )
        restore_triggers(cursor)
    report = audit.verify_chain()
    assert (report.broken_at, report.problem) == (seal_id, "its link to the previous entry is broken")


def test_the_seal_migration_runs_on_its_historical_models(personas):
    from django.apps import apps

    unkeyed_entries(2)
    migration = importlib.import_module("fengqiao.core.migrations.0009_seal_unkeyed_audit_entries")
    migration.seal(apps, None)
    assert audit.verify_chain().ok
    assert AuditEntry.objects.filter(action="audit_keyed").count() == 1


# -- anchors -------------------------------------------------------------------------------------


def test_the_worker_anchors_once_a_period(personas, settings):
    mine = reveals_and_a_pdf(personas, 2)
    job = next(job for job in periodic.jobs() if job.name == "audit anchor")
    assert job.interval == dt.timedelta(hours=settings.AUDIT_ANCHOR_HOURS) == dt.timedelta(days=1)
    start = timezone.now()
    with acting_as(system_user(), Source.WORKER):
        for hours in (0, 1, 23, 25):
            periodic.run_due(start + dt.timedelta(hours=hours), holder="w1")
    lines = settings.AUDIT_ANCHOR_FILE.read_text().splitlines()
    assert len(lines) == 2
    anchors = audit.read_anchors(settings.AUDIT_ANCHOR_FILE)
    # (the other jobs of the worker may write entries of their own, before or after the anchor)
    for anchor in anchors:
        anchored = AuditEntry.objects.get(pk=anchor.last_id)
        assert anchor.last_id >= mine[-1].pk and anchor.head == anchored.entry_hash
        assert anchor.count == AuditEntry.objects.filter(id__lte=anchored.pk).count()
    assert "2 of 2 anchors hold" in verify("--anchor", str(settings.AUDIT_ANCHOR_FILE))


def test_an_anchor_line_is_signed(personas, settings, tmp_path):
    reveals_and_a_pdf(personas, 2)
    call_command("audit", "anchor", stdout=io.StringIO())
    line = settings.AUDIT_ANCHOR_FILE.read_text().strip()
    assert line.split()[1:5] == [
        "count=2",
        f"last_id={AuditEntry.objects.order_by('id').last().pk}",
        f"head={AuditEntry.objects.order_by('id').last().entry_hash}",
        f"alg={audit.preferred_scheme()}",
    ]
    edited = tmp_path / "edited.log"
    edited.write_text(line.replace("count=2", "count=1") + "\n")
    with pytest.raises(CommandError, match="line 1: not signed by this audit key"):
        verify("--anchor", str(edited))


def test_anchor_print_only_writes_no_file(personas, settings):
    reveals_and_a_pdf(personas, 1)
    kept = settings.AUDIT_ANCHOR_FILE.parent / "kept-elsewhere.log"
    out = io.StringIO()
    call_command("audit", "anchor", "--print-only", stdout=out)
    kept.write_text(out.getvalue())
    assert not settings.AUDIT_ANCHOR_FILE.exists()
    assert "1 of 1 anchors hold" in verify("--anchor", str(kept))


def test_an_anchor_past_the_end_finds_a_cut_tail(personas, settings):
    entries = reveals_and_a_pdf(personas, 4)
    audit.write_anchor()
    rewrite([entries[-1].pk], rehash=with_the_key)
    assert audit.verify_chain().ok
    with pytest.raises(CommandError, match=f"#{entries[-1].pk}: it was anchored at .* and is missing"):
        verify("--anchor", str(settings.AUDIT_ANCHOR_FILE))


# -- retention and archive -----------------------------------------------------------------------


@pytest.fixture
def days_ago(monkeypatch):
    """Write entries as if on an earlier day: the clock of audit.record, set back."""
    real_now = timezone.now

    def at(days: int):
        monkeypatch.setattr(timezone, "now", lambda: real_now() - dt.timedelta(days=days))

    yield at
    monkeypatch.setattr(timezone, "now", real_now)


def _day(days: int) -> str:
    return (timezone.localdate() - dt.timedelta(days=days)).isoformat()


def test_archive_refuses_dates_inside_the_retention_period(personas, settings):
    reveals_and_a_pdf(personas, 2)
    assert settings.AUDIT_RETENTION_DAYS == 1095
    with pytest.raises(CommandError, match="inside the retention period \\(1095 days\\)"):
        call_command("audit", "archive", "--before", _day(1000))
    assert AuditEntry.objects.count() == 2 and not AuditArchive.objects.exists()


def test_archive_round_trip(personas, settings, days_ago):
    settings.AUDIT_RETENTION_DAYS = 183
    # given entries from 400 and 300 days ago, anchored then, and today's
    days_ago(400)
    first = reveals_and_a_pdf(personas, 3)
    days_ago(300)
    second = reveals_and_a_pdf(personas, 2)
    audit.write_anchor()
    days_ago(0)
    today = reveals_and_a_pdf(personas, 2)
    audit.write_anchor()

    # when the entries before 350 days ago are archived, then those before 200 days ago
    call_command("audit", "archive", "--before", _day(350), stdout=io.StringIO())
    call_command("audit", "archive", "--before", _day(200), stdout=io.StringIO())

    # then two signed files hold them, and the table keeps today's entries and the two archive records
    cuts = list(AuditArchive.objects.order_by("last_id"))
    assert [(c.first_id, c.last_id, c.count, c.total) for c in cuts] == [
        (first[0].pk, first[-1].pk, 3, 3),
        (second[0].pk, second[-1].pk, 2, 5),
    ]
    assert cuts[0].last_hash == first[-1].entry_hash and cuts[1].first_prev_hash == first[-1].entry_hash
    left = list(AuditEntry.objects.order_by("id"))
    assert [e.pk for e in left[:2]] == [e.pk for e in today]
    assert [(e.action, e.after["count"]) for e in left[2:]] == [("audit_archive", 3), ("audit_archive", 2)]
    assert left[0].prev_hash == cuts[1].last_hash
    # the chain verifies across the cut, and so do both anchors (one now inside the archive)
    out = verify("--anchor", str(settings.AUDIT_ANCHOR_FILE))
    assert "audit chain intact: 4 entries verified, 5 more archived before them; 2 of 2 anchors hold" in out
    # each file checks against its signature and its inner chain
    for cut in cuts:
        path = settings.AUDIT_ARCHIVE_DIR / cut.file_name
        assert (path.parent / (path.name + ".sig")).exists()
        checked = verify("--archive", str(path))
        assert (
            f"{cut.count} entries #{cut.first_id}-#{cut.last_id} verified (recorded in this database)"
            in checked
        )
    with gzip.open(settings.AUDIT_ARCHIVE_DIR / cuts[0].file_name, "rt") as f:
        lines = [json.loads(line) for line in f]
    assert lines[0]["last_hash"] == first[-1].entry_hash
    assert [row["id"] for row in lines[1:]] == [e.pk for e in first]
    assert [row["action"] for row in lines[1:]] == ["reveal", "reveal", "reveal"]


def test_an_archive_file_changed_afterwards_fails(personas, settings, days_ago, tmp_path):
    settings.AUDIT_RETENTION_DAYS = 183
    days_ago(400)
    entries = reveals_and_a_pdf(personas, 5)
    days_ago(0)
    call_command("audit", "archive", "--before", _day(200), stdout=io.StringIO())
    path = settings.AUDIT_ARCHIVE_DIR / AuditArchive.objects.get().file_name
    # when a line is dropped from the file and it is compressed again
    with gzip.open(path, "rt") as f:
        lines = f.readlines()
    dropped = tmp_path / path.name
    with gzip.open(dropped, "wt") as f:
        f.writelines(lines[:3] + lines[4:])
    (tmp_path / (path.name + ".sig")).write_text((path.parent / (path.name + ".sig")).read_text())
    # then the file is not the one signed
    with pytest.raises(CommandError, match="the file is not the one its signature signed"):
        verify("--archive", str(dropped))
    # and one whose signature was redone without the key fails on the signature
    signature = json.loads((tmp_path / (path.name + ".sig")).read_text())
    signature["count"] = 4
    (tmp_path / (path.name + ".sig")).write_text(json.dumps(signature))
    with pytest.raises(CommandError, match="not signed by this audit key"):
        verify("--archive", str(dropped))
    assert len(entries) == 5


def test_the_database_deletes_only_archived_old_entries(personas, settings, days_ago):
    settings.AUDIT_RETENTION_DAYS = 183
    days_ago(400)
    old = reveals_and_a_pdf(personas, 2)
    days_ago(0)
    young = reveals_and_a_pdf(personas, 2)
    # an old entry no archive cut covers stays
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [old[0].pk])
    # a young entry stays, even with a cut row that covers it
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditArchive.objects.create(
            archived_at=timezone.now(),
            before=timezone.now(),
            first_id=young[0].pk,
            last_id=young[-1].pk,
            count=2,
            total=2,
            first_prev_hash="",
            last_hash="",
            file_name="x",
            file_hmac="",
            scheme="",
            mac="",
        )
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [young[0].pk])
    assert AuditEntry.objects.count() == 4


def test_a_forged_cut_without_the_key_fails(personas, settings, days_ago):
    settings.AUDIT_RETENTION_DAYS = 183
    days_ago(400)
    old = reveals_and_a_pdf(personas, 3)
    days_ago(0)
    reveals_and_a_pdf(personas, 4)
    # when someone without the key records a cut to get the old entries deleted
    with transaction.atomic():
        AuditArchive.objects.create(
            archived_at=timezone.now(),
            before=timezone.now(),
            first_id=old[0].pk,
            last_id=old[-1].pk,
            count=3,
            total=3,
            first_prev_hash=audit.GENESIS_HASH,
            last_hash=old[-1].entry_hash,
            file_name="forged.jsonl.gz",
            file_hmac="0" * 64,
            scheme=audit.HMAC_SHA256,
            mac="0" * 64,
        )
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM core_auditentry WHERE id <= %s", [old[-1].pk])
    # then verify names the cut it did not sign
    report = audit.verify_chain()
    assert report.problem == "the archive cut forged.jsonl.gz is not signed by this audit key"


def test_a_broken_chain_is_not_archived(personas, settings, days_ago):
    settings.AUDIT_RETENTION_DAYS = 183
    days_ago(400)
    entries = reveals_and_a_pdf(personas, 3)
    days_ago(0)
    with transaction.atomic(), connection.cursor() as cursor:
        lift_triggers(cursor)
        cursor.execute("UPDATE core_auditentry SET reason = 'nothing' WHERE id = %s", [entries[1].pk])
        restore_triggers(cursor)
    with pytest.raises(CommandError, match=f"broken at entry #{entries[1].pk}"):
        call_command("audit", "archive", "--before", _day(200))
    assert AuditEntry.objects.count() == 3 and not AuditArchive.objects.exists()
    assert not list(settings.AUDIT_ARCHIVE_DIR.iterdir())
