"""GET /api/v1/me: who the caller is and where they are posted."""


def test_a_grid_worker_sees_their_grid_posting(api, personas):
    t = personas.territory
    # when grid A's worker asks who they are
    response = api.get("/api/v1/me", as_=personas.grid_a)
    # then they get their name, role and their grid with its path
    assert response.status_code == 200
    me = response.json()
    assert (me["username"], me["full_name"], me["role"]) == ("grid_a", "张三", "grid_worker")
    assert me["postings"] == [
        {
            "id": personas.grid_a.postings.get().pk,
            "path": t.grid_a.scope_path,
            "unit": None,
            "grid": {"code": t.grid_a.code, "name": t.grid_a.name},
        }
    ]


def test_a_station_chief_sees_their_unit_posting(api, personas):
    t = personas.territory
    me = api.get("/api/v1/me", as_=personas.station).json()
    assert me["role"] == "station"
    assert me["postings"] == [
        {
            "id": personas.station.postings.get().pk,
            "path": "640300/640302/ps01",
            "unit": {"code": "ps01", "name": t.station.name, "path": "640300/640302/ps01", "kind": "station"},
            "grid": None,
        }
    ]


def test_a_resident_has_no_posting(api, personas):
    me = api.get("/api/v1/me", as_=personas.resident).json()
    assert (me["role"], me["postings"]) == ("resident", [])
