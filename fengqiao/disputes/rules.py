"""The rules of which kind of mediation a dispute takes, written once: registration, the step that
changes the kind, the agreement's document and the API all ask here.

- 人民调解 (People's Mediation Law): made by the 人民调解委员会 of the village or community where the
  dispute arose; its agreement can be judicially confirmed (art. 33).
- 治安调解 (Public Security Administration Punishments Law, art. 9): the police station mediates a
  minor public-order case; no judicial confirmation; if it fails or is not performed, the
  punishment procedure goes on.
- 警调联动: the committee's mediators at the station; a people's mediation agreement naming both.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from fengqiao.disputes.choices import Category, MediationKind

COMMITTEE_SUFFIX = "人民调解委员会"
# A village's or community's name as the division code tables write it, and what its committee is
# named after: 西门村委会, 西门村村民委员会 → 西门村; 金丰社区居委会 → 金丰社区.
_DIVISION_SUFFIXES = (("村民委员会", ""), ("居民委员会", ""), ("村委会", "村"), ("居委会", ""))

# Road traffic accidents are mediated under the Road Traffic Safety Law, not as public-order cases.
NOT_PUBLIC_ORDER_CATEGORIES = frozenset({Category.TRAFFIC})
# Event categories (codes of events/data/categories.json) that are not minor public-order cases:
# criminal incidents, telecom fraud, traffic incidents, and their subcategories.
NOT_PUBLIC_ORDER_EVENTS = ("0101", "0103", "0104", "02")


def committee_name(community_name: str) -> str:
    """The people's mediation committee of a village or community: 金积村 → 金积村人民调解委员会."""
    name = str(community_name or "").strip()
    if not name:
        return ""
    if name.endswith(COMMITTEE_SUFFIX):
        return name
    for suffix, keep in _DIVISION_SUFFIXES:
        if name.endswith(suffix):
            name = name.removesuffix(suffix)
            if keep and not name.endswith(keep):
                name += keep
            break
    return name + COMMITTEE_SUFFIX


def names_committee(kind: str) -> bool:
    """People's and joint mediation are made by a committee, which the documents name."""
    return kind in (MediationKind.PEOPLE, MediationKind.JOINT)


def names_station(kind: str) -> bool:
    """Public-order and joint mediation name the police station."""
    return kind in (MediationKind.PUBLIC_ORDER, MediationKind.JOINT)


def may_be_confirmed(kind: str) -> bool:
    """Only an agreement of people's mediation (joint included) can be judicially confirmed."""
    return kind != MediationKind.PUBLIC_ORDER


def check_kind(
    kind: str, *, category: str, origin_event=None, committee: str = "", community: str = ""
) -> str:
    """Check that a dispute of this category (from this event) may take this kind of mediation: a
    ValidationError naming the field if not. Returns the committee's name to keep: the one given,
    else the committee of the dispute's village or community (``community``), and none for a
    public-order mediation."""
    if kind not in MediationKind.values:
        raise ValidationError({"kind": [_("Unknown value: %(value)s.") % {"value": kind}]})
    if kind == MediationKind.PUBLIC_ORDER:
        if category in NOT_PUBLIC_ORDER_CATEGORIES:
            raise ValidationError(
                {
                    "kind": [
                        _(
                            "Public-order mediation is for minor public-order cases; a %(category)s "
                            "dispute is not one."
                        )
                        % {"category": Category(category).label}
                    ]
                }
            )
        event_category = getattr(origin_event, "category", None)
        if event_category is not None and event_category.code.startswith(NOT_PUBLIC_ORDER_EVENTS):
            raise ValidationError(
                {
                    "kind": [
                        _(
                            "Public-order mediation is for minor public-order cases; event %(number)s "
                            "is recorded as %(category)s."
                        )
                        % {"number": origin_event.number, "category": event_category.name}
                    ]
                }
            )
        return ""
    committee = str(committee or "").strip() or committee_name(community)
    if not committee:
        raise ValidationError({"committee": [_("Name the people's mediation committee.")]})
    if len(committee) > 100:
        raise ValidationError({"committee": [_("At most %(n)s characters.") % {"n": 100}]})
    return committee
