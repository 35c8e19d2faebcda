import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from fengqiao.core import audit
from fengqiao.core.context import Source, acting_as
from fengqiao.core.models import AuditEntry


@pytest.fixture
def three_entries(personas):
    with acting_as(personas.station, Source.WEB, ip="10.1.2.3"), transaction.atomic():
        for name in ("甲", "乙", "丙"):
            audit.record(
                audit.UPDATE, personas.territory.grid_a, before={"name": "old"}, after={"name": name}
            )
    return list(AuditEntry.objects.order_by("id"))


def test_a_change_without_actor_raises(db, territory):
    # given no acting context
    # when a change is recorded, then it refuses and nothing is written
    with pytest.raises(audit.MissingActor):
        audit.record(audit.UPDATE, territory.grid_a)
    assert AuditEntry.objects.count() == 0


def test_entry_takes_actor_source_and_ip_from_context(three_entries, personas):
    entry = three_entries[-1]
    assert entry.actor == personas.station
    assert entry.actor_label == "station"
    assert entry.source == "web"
    assert entry.ip == "10.1.2.3"
    assert entry.object_type == "geo.grid"
    assert entry.object_id == str(personas.territory.grid_a.pk)
    assert entry.after == {"name": "丙"}


def test_entries_are_chained(three_entries):
    assert three_entries[0].prev_hash == audit.GENESIS_HASH
    for earlier, later in zip(three_entries, three_entries[1:], strict=False):
        assert later.prev_hash == earlier.entry_hash
    assert audit.verify_chain().ok


def test_unregistered_actions_are_refused(personas):
    with pytest.raises(ValueError, match="unregistered"):
        audit.record("made_up", personas.territory.grid_a, actor=personas.city)


def test_registering_a_name_twice_with_another_meaning_fails():
    with pytest.raises(ValueError):
        audit.register("update", "something else")


def test_entries_cannot_be_changed_or_deleted_through_the_orm(three_entries):
    entry = three_entries[0]
    entry.reason = "rewritten"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().update(reason="x")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()


def test_the_database_itself_refuses_updates(three_entries):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET reason = 'x'")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry")
    assert AuditEntry.objects.count() == 3


def _drop_append_only_guard(cursor):
    # Someone with the database owner's rights can still tamper: verify must catch it.
    if connection.vendor == "postgresql":
        cursor.execute("SET LOCAL session_replication_role = replica")
    else:
        cursor.execute("DROP TRIGGER core_auditentry_no_update")
        cursor.execute("DROP TRIGGER core_auditentry_no_delete")


def test_verify_names_the_first_tampered_entry(three_entries):
    # given an intact chain
    call_command("audit", "verify")
    # when someone rewrites the second entry behind the application's back
    second = three_entries[1]
    with connection.cursor() as cursor:
        _drop_append_only_guard(cursor)
        cursor.execute("UPDATE core_auditentry SET reason = 'nothing happened' WHERE id = %s", [second.pk])
    # then verify names it
    with pytest.raises(CommandError, match=f"#{second.pk}: its content does not match"):
        call_command("audit", "verify")


def test_verify_notices_a_deleted_tail(three_entries):
    with connection.cursor() as cursor:
        _drop_append_only_guard(cursor)
        cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [three_entries[-1].pk])
    report = audit.verify_chain()
    assert not report.ok
    assert report.broken_at == three_entries[1].pk
    assert "missing" in report.problem


def test_verify_notices_a_deleted_middle_entry(three_entries):
    with connection.cursor() as cursor:
        _drop_append_only_guard(cursor)
        cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [three_entries[1].pk])
    report = audit.verify_chain()
    assert report.broken_at == three_entries[2].pk
    assert "link" in report.problem


def test_failed_login_is_audited_without_actor(client, personas):
    client.post("/login/", {"username": "grid_a", "password": "wrong"})
    entry = AuditEntry.objects.filter(action="login_failed").get()
    assert entry.actor is None
    assert entry.object_id == "grid_a"


def test_a_rolled_back_change_leaves_no_audit_entry(personas):
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record(audit.UPDATE, personas.territory.grid_a, actor=personas.city)
        raise RuntimeError("the change failed")
    assert AuditEntry.objects.count() == 0
    assert audit.verify_chain().ok
