import pytest
from tests.registry.conftest import registry_world, valid_id_number  # noqa: F401
from fengqiao.registry.models import Person


def test_post(client, registry_world):
    w = registry_world
    client.force_login(w.personas.grid_a)
    r = client.post("/registry/addresses/new/", {"grid": w.personas.territory.grid_a.pk, "street": "解放路", "door_plate": "12", "room": "301", "in_use": "on"})
    print(r.status_code, r.get("Location"))
    if r.status_code == 200:
        print(r.context["form"].errors)
    addr = r.get("Location")
    code = client.get(addr).context["address"].code
    r = client.post("/registry/people/new/", {"id_number": "11010519491231002x", "name": "单田芳", "current_address": code, "resident_type": "registered"})
    print(r.status_code, r.get("Location"))
    if r.status_code == 200:
        print(r.context["form"].errors)
    r = client.get(r["Location"])
    body = r.content.decode()
    assert "1101**********002X" in body
    p = r.context["person"]
    r = client.post(f"/registry/people/{p.pk}/edit/", {"id_number": "1101**********002X", "name": "单田芳", "current_address": code, "resident_type": "floating", "phone": "139 1234 5678"})
    print(r.status_code, r.get("Location"))
    if r.status_code == 200:
        print(r.context["form"].errors)
    r = client.post(f"/registry/people/{p.pk}/edit/", {"id_number": "1101**********002X", "name": "单田芳", "current_address": code, "resident_type": "floating", "phone": "139 1234 5678", "reason_for_coming": "务工"})
    print(r.status_code, r.get("Location"))
    r = client.get(r["Location"])
    open("/tmp/fq/p.html", "w").write(r.content.decode())
