"""Open311's discovery document names whom to ask: the deployment's contact, or by default the
city bureau's command centre (http://wiki.open311.org/Service_Discovery: ``contact``)."""

import xml.etree.ElementTree as ET

import pytest


def contact(client, fmt: str, **headers) -> str:
    response = client.get(f"/open311/discovery.{fmt}", headers=headers)
    assert response.status_code == 200
    if fmt == "json":
        return response.json()["contact"]
    return ET.fromstring(response.content).findtext("contact")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_discovery_has_a_contact_by_default(client, db, fmt):
    assert "110" in contact(client, fmt) and "市公安局指挥中心" in contact(client, fmt)
    assert "command centre" in contact(client, fmt, **{"Accept-Language": "en"})


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_deployment_names_its_own_contact(client, db, settings, fmt):
    settings.FENGQIAO_OPEN311_CONTACT = "吴忠市公安局指挥中心 0953-1234567 open311@example.gov.cn"
    assert contact(client, fmt) == "吴忠市公安局指挥中心 0953-1234567 open311@example.gov.cn"
