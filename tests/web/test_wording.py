"""Chinese that reads right, and forms that answer what the user meant (issue 15, items 7 and 8)."""

import pytest

from tests.fixtures import registry as registry_fixtures

world = registry_fixtures.registry_world

pytestmark = pytest.mark.django_db


def text(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


SEARCHES = ["/registry/?q={}", "/registry/people/?q={}", "/registry/organisations/?q={}"]


@pytest.mark.parametrize("url", SEARCHES)
def test_a_few_digits_in_the_registry_search_are_a_partial_number_not_a_bad_phone(
    logged_in, personas, world, url
):
    # when a grid worker searches the registry for "6403"
    page = text(logged_in(personas.grid_a).get(url.format("6403")))
    # then it is not validated as a phone, and the page says how numbers are found
    assert "电话：" not in page and "不是中国大陆的手机或固定电话号码" not in page
    assert "请输入完整的身份证号或电话号码，或按姓名、地址查找" in page
