import pytest


@pytest.fixture
def logged_in(client):
    """A test client with ``user`` logged in: ``logged_in(personas.station).get(...)``."""

    def login(user):
        client.force_login(user)
        return client

    return login
