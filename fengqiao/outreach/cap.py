"""An alert as a CAP 1.2 message (OASIS Common Alerting Protocol), the format emergency systems
exchange. One ``info`` block in Chinese; the area is described by the communities and grids the
alert is for."""

import xml.etree.ElementTree as ET

from django.conf import settings
from django.utils import timezone

from fengqiao.outreach.actions import audience_grids, named_grids
from fengqiao.outreach.choices import CampaignStatus, MessageKind

NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"

# What each kind of message is in CAP's terms: category, urgency, severity, certainty.
CAP_TERMS = {
    MessageKind.PREVENTION: ("Safety", "Future", "Minor", "Likely"),
    MessageKind.INCIDENT: ("Security", "Expected", "Moderate", "Observed"),
    MessageKind.POLICY: ("Other", "Unknown", "Unknown", "Unknown"),
    MessageKind.ANTI_FRAUD: ("Security", "Expected", "Moderate", "Likely"),
}


def cap_time(value) -> str:
    """CAP's date-time: local time with its offset, no fractions, never "Z"."""
    return timezone.localtime(value).replace(microsecond=0).isoformat()


def sender() -> str:
    site = getattr(settings, "SITE_URL", "").split("://")[-1].strip("/") or "fengqiao.invalid"
    return f"outreach@{site}"


def to_cap(campaign) -> bytes:
    ET.register_namespace("", NAMESPACE)
    q = lambda tag: f"{{{NAMESPACE}}}{tag}"  # noqa: E731
    alert = ET.Element(q("alert"))

    def sub(parent, tag, text):
        element = ET.SubElement(parent, q(tag))
        element.text = text
        return element

    sent = campaign.sent_at or campaign.decided_at or campaign.created_at
    sub(alert, "identifier", f"{sender().split('@')[1]}.outreach.{campaign.pk}")
    sub(alert, "sender", sender())
    sub(alert, "sent", cap_time(sent))
    sub(
        alert,
        "status",
        "Actual" if campaign.status in (CampaignStatus.SENDING, CampaignStatus.SENT) else "Draft",
    )
    sub(alert, "msgType", "Cancel" if campaign.status == CampaignStatus.CANCELLED else "Alert")
    if campaign.is_public:
        sub(alert, "scope", "Public")
    else:
        sub(alert, "scope", "Restricted")
        sub(alert, "restriction", "police staff of the area")
    category, urgency, severity, certainty = CAP_TERMS[campaign.kind]
    info = ET.SubElement(alert, q("info"))
    sub(info, "language", "zh-CN")
    sub(info, "category", category)
    sub(info, "event", str(MessageKind(campaign.kind).label))
    sub(info, "urgency", urgency)
    sub(info, "severity", severity)
    sub(info, "certainty", certainty)
    if campaign.send_at:
        sub(info, "onset", cap_time(campaign.send_at))
    sub(info, "senderName", campaign.created_by.full_name or campaign.created_by.get_username())
    sub(info, "headline", campaign.title)
    sub(info, "description", campaign.body)
    area = ET.SubElement(info, q("area"))
    names = [c.name for c in campaign.communities.order_by("code")]
    names += [g.name for g in named_grids(campaign).order_by("code")]
    sub(area, "areaDesc", "、".join(names) or campaign.scope_path)
    codes = sorted(
        {c.code for c in campaign.communities.all()}
        | set(audience_grids(campaign).values_list("community__code", flat=True))
    )
    for code in codes:
        geocode = ET.SubElement(area, q("geocode"))
        sub(geocode, "valueName", "GB/T 2260 division code")
        sub(geocode, "value", code)
    return ET.tostring(alert, encoding="utf-8", xml_declaration=True)
