"""Personal data encrypted at rest (docs/adr/0010): no whole ID number, phone or care note is in the
database's own bytes (the SQLite file, a ``pg_dump``), whichever door wrote it (an action, the
importer's bulk path); exact look-ups and uniqueness go through the keyed hash; SM4-GCM is
selectable; ``fengqiao keys rotate`` re-encrypts under a new key and resumes after it was stopped."""

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import FieldError, ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from fengqiao.core import crypto, keyrotation
from fengqiao.core.importing import copy_in
from fengqiao.core.models import AuditEntry
from fengqiao.registry import actions
from fengqiao.registry.choices import ResidentType
from fengqiao.registry.importing import base as import_base
from fengqiao.registry.importing.runner import run_import
from fengqiao.registry.models import CareTag, Person, RecordHistory
from tests.fixtures.registry import make_address, make_person, valid_id_number
from tests.registry.files import write_csv

NOTE = "每周走访一次，注意其与邻居的纠纷"


def people():
    return Person.objects.unscoped(reason="test")


@pytest.fixture
def own_keys(settings, tmp_path):
    """A key file of the test's own, made on first use as in a fresh data directory."""
    settings.DATA_KEYS = ""
    settings.DATA_KEYS_FILE = tmp_path / "data.keys"
    crypto.reload_keys()
    yield settings.DATA_KEYS_FILE
    crypto.forget_keys()  # the suite's own key again, read afresh once settings are back


def stored(table: str, column: str) -> list:
    """The column's values as the database holds them, past the model's decryption."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} ORDER BY id")  # noqa: S608 (test's own names)
        return [row[0] if isinstance(row[0], str | None) else json.dumps(row[0]) for row in cursor.fetchall()]


def database_bytes(tmp_path) -> bytes:
    """Every byte of the database: a page-for-page copy of the SQLite database (the suite's is in
    memory), or a plain ``pg_dump`` of the PostgreSQL one."""
    if connection.vendor == "sqlite":
        copy = tmp_path / "copy.sqlite3"
        with sqlite3.connect(copy) as target:
            connection.ensure_connection()
            connection.connection.backup(target)
        return copy.read_bytes()
    s = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": s.get("PASSWORD") or ""}
    command = [shutil.which("pg_dump") or "pg_dump", "--host", s["HOST"] or "127.0.0.1"]
    command += ["--port", str(s["PORT"] or 5432), "--username", s["USER"], s["NAME"]]
    return subprocess.run(command, env=env, capture_output=True, check=True, timeout=300).stdout


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("flushable_audit")  # pg_dump reads what is committed
def test_no_whole_id_number_phone_or_care_note_is_in_the_database_files(personas, tmp_path, monkeypatch):
    # given people recorded through the action (with a care tag), and more imported in bulk (the
    # COPY path on PostgreSQL from five rows), and one number kept in plain text on purpose
    home = make_address(personas.territory.grid_a, street="利宁街", door_plate="8")
    officer = personas.officer
    officer.user_permissions.add(
        Permission.objects.get(codename="view_caretag", content_type__app_label="registry")
    )
    officer = type(officer).objects.get(pk=officer.pk)
    numbers, phones = [], []
    for i in range(5):
        numbers.append(valid_id_number())
        phones.append(f"1391234{i:04d}")
        person = actions.record_person(
            actor=officer,
            data={"id_number": numbers[-1], "name": "单丽", "phone": phones[-1], "current_address": home},
        )
    actions.tag_person(person, actor=officer, kind="key_youth", note=NOTE)
    actions.record_person(actor=officer, person=person, data={"phone": "13800001111"})
    phones.append("13800001111")
    rows = []
    for i in range(12):
        numbers.append(valid_id_number())
        phones.append(f"1370000{i:04d}")
        rows.append([numbers[-1], "李四", "", "", phones[-1], home.full_text])
    monkeypatch.setattr(import_base, "COPY_FROM", 5)
    csv = write_csv(
        tmp_path / "people.csv", ["公民身份号码", "姓名", "性别", "出生日期", "联系电话", "现住址"], rows
    )
    batch = run_import("people", csv, actor=officer, errors_path=tmp_path / "errors.csv")
    assert batch.inserted == 12, batch.message
    control = valid_id_number()
    make_person(home, hukou_address=f"身份证 {control}")  # an unencrypted column

    # when the database's bytes are read
    raw = database_bytes(tmp_path)

    # then the plain-text control is found, so the scan can see a number, and no one else's is
    assert control.encode() in raw
    assert people().filter(id_number=numbers[0]).get().phone == phones[0]  # still there, encrypted
    found = [v for v in numbers + phones if v.encode() in raw]
    assert found == []
    # the note neither as text nor as JSON writes it (SQLite's JSON escapes it to ASCII)
    assert NOTE.encode() not in raw and json.dumps(NOTE)[1:-1].encode() not in raw
    assert RecordHistory.objects.filter(record_id=person.pk, record_kind="person").count() == 2


def test_look_ups_and_uniqueness_go_through_the_keyed_hash(personas):
    # given a person
    home = make_address(personas.territory.grid_a)
    number = valid_id_number()
    person = make_person(home, id_number=number, phone="13912345678")

    # then the stored values are ciphertext, the exact look-ups find it by its hash
    assert stored("registry_person", "id_number")[-1].startswith("aes:")
    assert number not in stored("registry_person", "id_number_hash")[-1]
    assert people().get(id_number=number) == person
    assert list(people().filter(phone="13912345678")) == [person]
    assert list(people().filter(id_number__in=[number, valid_id_number()])) == [person]
    assert people().filter(phone="").count() == 0
    assert people().values_list("id_number", flat=True).get(pk=person.pk) == number
    # a look-up that could only ever match nothing is refused, not answered empty
    with pytest.raises(FieldError):
        list(people().filter(id_number__startswith=number[:6]))
    with pytest.raises(FieldError):
        list(people().filter(phone__icontains="1391"))

    # a second person with the same number is refused by validation, in its own words, and by the
    # database's unique index on the hash
    twin = Person(id_number=number, name="李四", sex=person.sex, grid=home.grid, current_address=home)
    twin.refresh_derived()
    with pytest.raises(ValidationError) as caught:
        twin.full_clean()
    assert caught.value.message_dict["id_number"] == ["This ID number is already registered."]
    with pytest.raises(IntegrityError), transaction.atomic():
        people().bulk_create([twin])


def test_sm4_gcm_is_selectable_and_both_ciphers_read(personas, settings):
    home = make_address(personas.territory.grid_a)
    aes = make_person(home, phone="13900000001")
    settings.DATA_CIPHER = crypto.SM4_GCM
    sm4 = make_person(home, phone="13900000002")
    values = stored("registry_person", "phone")
    assert values[-2].startswith("aes:") and values[-1].startswith("sm4:")
    assert people().get(pk=aes.pk).phone == "13900000001"
    assert people().get(pk=sm4.pk).phone == "13900000002"
    # a value moved to another column does not authenticate there (the column is the associated data)
    with pytest.raises(crypto.Undecryptable):
        crypto.decrypt(values[-1], "registry.organisation.phone")


def test_keys_rotate_re_encrypts_in_chunks_and_resumes_after_being_stopped(personas, own_keys, as_actor):
    # given people, a care note and their history written under key 1
    home = make_address(personas.territory.grid_a)
    with as_actor(personas.officer):
        made = [
            actions.record_person(
                actor=personas.officer,
                data={
                    "id_number": valid_id_number(),
                    "name": "张三",
                    "phone": f"1391234{i:04d}",
                    "current_address": home,
                },
            )
            for i in range(7)
        ]
    tag = CareTag.objects.create(person=made[0], kind="key_youth", note=NOTE, grid=home.grid)
    assert {crypto.key_id_of(v) for v in stored("registry_person", "id_number")} == {"1"}

    # when a rotation is stopped after its first chunk of three
    def stop(model, last_pk):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        keyrotation.rotate(actor=personas.city, chunk=3, after_chunk=stop)

    # then three people are under key 2, the rest still under key 1, and all of them read
    assert keyrotation.progress_file().exists()
    assert (
        sorted(crypto.key_id_of(v) for v in stored("registry_person", "id_number")) == ["1"] * 4 + ["2"] * 3
    )
    assert [p.id_number for p in people().order_by("pk")] == [p.id_number for p in made]

    # when it is run again, it resumes under the same key and finishes
    call_command("keys", "--actor", "city", "rotate", "--chunk", "3")

    # then every value is under key 2, reads as before, and is found by its unchanged hash
    assert not keyrotation.progress_file().exists()
    assert crypto.keyring().current == "2"
    for table, column in (
        ("registry_person", "id_number"),
        ("registry_person", "phone"),
        ("registry_caretag", "note"),
    ):
        assert {crypto.key_id_of(v) for v in stored(table, column)} == {"2"}
    sealed = [v for v in stored("registry_recordhistory", "after") if "id_number" in v]
    assert sealed and all('"aes:2:' in v for v in sealed)
    assert people().get(id_number=made[3].id_number).phone == made[3].phone
    assert CareTag.objects.unscoped(reason="test").get(pk=tag.pk).note == NOTE
    first = RecordHistory.objects.filter(record_id=made[0].pk, record_kind="person").first()
    assert first.after["id_number"] == made[0].id_number
    # and the rotation is on the audit record once begun and once done, with key ids, never keys
    begun = AuditEntry.objects.filter(action="data_key_rotate")
    done = AuditEntry.objects.get(action="data_key_rotated")
    assert begun.count() == 1 and done.actor == personas.city
    assert done.after["key"] == "2" and done.after["resumed"] is True
    assert own_keys.read_text().count("key ") == 2 and own_keys.stat().st_mode & 0o777 == 0o600


def test_rows_stored_in_plain_before_encryption_are_sealed_by_the_migrations_chunks(personas):
    # given a person as the database held them before migration 0010: number and phone in plain,
    # no hashes
    home = make_address(personas.territory.grid_a)
    number = valid_id_number()
    person = make_person(home, id_number=number, phone="13912345678")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE registry_person SET id_number = %s, phone = %s, id_number_hash = NULL, phone_hash = ''"
            " WHERE id = %s",
            [number, "13912345678", person.pk],
        )
    assert people().filter(id_number=number).count() == 0  # not found: no hash yet

    # when the migration's chunks run over the table
    last, done = 0, 0
    while last is not None:
        last, count = crypto.reseal_chunk(Person, after_pk=last, size=2)
        done += count

    # then the values are ciphertext, found by their hashes, and read as they were
    assert done == people().count()
    assert crypto.is_sealed(stored("registry_person", "id_number")[-1])
    assert people().get(id_number=number).phone == "13912345678"
    assert people().get(phone="13912345678").pk == person.pk


def test_a_database_written_under_a_key_is_not_given_a_new_one(personas, settings, tmp_path):
    # given a person written under the suite's key
    make_person(make_address(personas.territory.grid_a), phone="13912345678")
    # when the key file is missing (a database restored or moved without it)
    settings.DATA_KEYS_FILE = tmp_path / "missing.keys"
    crypto.forget_keys()
    try:
        # then no new key is made over it: reading says which key is needed
        with pytest.raises(crypto.NoDataKey, match="missing.keys does not exist"):
            crypto.keyring()
        assert not settings.DATA_KEYS_FILE.exists()
    finally:
        crypto.forget_keys()


def test_the_bulk_path_makes_the_first_key_before_it_opens_a_copy(personas, own_keys):
    # given a fresh data directory: no key yet, so the first value encrypted looks in the database
    # for values written under another key first
    address = make_address(personas.territory.grid_a)
    own_keys.unlink()
    crypto.forget_keys()
    number = valid_id_number(birth=dt.date(1980, 1, 1), seq=1)
    person = Person(
        id_number=number,
        name="张三",
        sex="M",
        birth_date=dt.date(1980, 1, 1),
        current_address=address,
        grid=address.grid,
        scope_path=address.grid.scope_path,
        resident_type=ResidentType.REGISTERED,
        phone="13912345678",
    )
    # when the importer's bulk path writes it (on PostgreSQL a COPY, which holds the connection:
    # a look-up made while it is open never returns, so the values are made before it opens)
    copy_in([person])
    # then the key was made and the row stored under it
    assert own_keys.exists()
    assert crypto.is_sealed(stored("registry_person", "id_number")[-1])
    assert people().get(phone="13912345678").name == "张三"
