from fengqiao.geo.models import Grid


def test_personas_see_their_subtree(personas):
    # given the personas of the test territory
    t = personas.territory

    # then each sees exactly the grids under their posting
    def codes(user):
        return set(Grid.objects.visible_to(user).values_list("code", flat=True))

    assert codes(personas.grid_a) == {t.grid_a.code}
    assert codes(personas.grid_b) == {t.grid_b.code}
    assert codes(personas.officer) == {t.grid_a.code}
    assert codes(personas.station) == {t.grid_a.code, t.grid_b.code}
    assert codes(personas.city) == {t.grid_a.code, t.grid_b.code, t.grid_c.code}
    assert codes(personas.resident) == set()
