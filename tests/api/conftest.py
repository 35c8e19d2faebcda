"""An API caller for the tests: each persona calls with a bearer token of their own."""

import pytest

from fengqiao.accounts.actions import issue_api_token
from fengqiao.geo import locator


class ApiCaller:
    """``api.get(url, as_=user)``: a JSON request with ``user``'s bearer token (none for None)."""

    def __init__(self, client):
        self.client = client
        self.tokens: dict[int, str] = {}

    def token_of(self, user) -> str:
        if user.pk not in self.tokens:
            _, raw = issue_api_token(user, actor=user, name="tests")
            self.tokens[user.pk] = raw
        return self.tokens[user.pk]

    def headers(self, user) -> dict:
        headers = {"Accept-Language": "en"}
        if user is not None:
            headers["Authorization"] = f"Bearer {self.token_of(user)}"
        return headers

    def get(self, url, as_=None, params=None):
        return self.client.get(url, params or {}, headers=self.headers(as_))

    def post(self, url, data, as_=None):
        return self.client.post(url, data, content_type="application/json", headers=self.headers(as_))

    def patch(self, url, data, as_=None):
        return self.client.patch(url, data, content_type="application/json", headers=self.headers(as_))

    def delete(self, url, as_=None):
        return self.client.delete(url, headers=self.headers(as_))


@pytest.fixture
def api(client):
    return ApiCaller(client)


@pytest.fixture(autouse=True)
def fresh_locator():
    """Each test's grids, not a previous test's index (ids are reused after a rollback)."""
    locator.reset()
    yield
    locator.reset()


def fields_of(response) -> set[str]:
    """The fields a 4xx answer blames."""
    return {error["field"] for error in response.json().get("errors") or []}
