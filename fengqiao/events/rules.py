"""The size limits of a report, written once: the model's columns, the staff's and the portal's
forms, the API's schema, ``events.actions.build_report`` (and so Open311 and the 110 import) and
the attachments all take them from here, so a report is refused for the same reason whichever
door it came through.

- a title of at most ``TITLE_MAX`` characters, a description of at most ``DESCRIPTION_MAX``, and
  the staff's reply to the reporter of at most ``REPLY_MAX`` (it goes out by SMS);
- at most ``FENGQIAO_REPORT_MAX_PHOTOS`` files (5) and ``FENGQIAO_REPORT_MAX_MB`` (20) in all per
  report; each file is also held to ``FENGQIAO_MAX_UPLOAD_MB`` by ``core.uploads``.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

TITLE_MAX = 100
DESCRIPTION_MAX = 2000
REPLY_MAX = 300  # the staff's reply to the reporter: it goes out by SMS

# What a text over its limit is told, naming the field (Django's forms and validators fill in
# limit_value and show_value the same way).
TOO_LONG = {
    "title": gettext_lazy("Title: at most %(limit_value)d characters (this one has %(show_value)d)."),
    "description": gettext_lazy(
        "Description: at most %(limit_value)d characters (this one has %(show_value)d)."
    ),
    "reply": gettext_lazy(
        "Reply to the reporter: at most %(limit_value)d characters (this one has %(show_value)d)."
    ),
}
LIMITS = {"title": TITLE_MAX, "description": DESCRIPTION_MAX, "reply": REPLY_MAX}


def max_photos() -> int:
    return int(getattr(settings, "FENGQIAO_REPORT_MAX_PHOTOS", 5))


def max_report_bytes() -> int:
    return int(getattr(settings, "FENGQIAO_REPORT_MAX_MB", 20)) * 1024 * 1024


def check_lengths(**texts: str) -> dict[str, list[str]]:
    """The errors of ``title=…`` and ``description=…`` over their limits, by field."""
    return {
        name: [str(TOO_LONG[name]) % {"limit_value": LIMITS[name], "show_value": len(text)}]
        for name, text in texts.items()
        if text and len(text) > LIMITS[name]
    }


def check_files(files, *, already: int = 0, already_bytes: int = 0) -> None:
    """At most ``max_photos()`` files and ``max_report_bytes()`` in all on one report, counting
    the ``already`` files (of ``already_bytes``) it carries. A ValidationError on ``file``."""
    files = list(files)
    count = already + len(files)
    if count > max_photos():
        raise ValidationError(
            {
                "file": [
                    _("At most %(n)d photos or documents per report (%(count)d were sent).")
                    % {"n": max_photos(), "count": count}
                ]
            }
        )
    total = already_bytes + sum(f.size or 0 for f in files)
    if total > max_report_bytes():
        raise ValidationError(
            {
                "file": [
                    _("A report's files may be %(mb)d MB in all (these are %(size).1f MB).")
                    % {"mb": max_report_bytes() // 2**20, "size": total / 2**20}
                ]
            }
        )


# --- classification (issue 16 §1) -------------------------------------------------------------
# The words case and incident reports name their class with (the 110 systems' categories and
# the tree's names), most specific first when one contains another (入室盗窃 before 盗窃).
CRIME_WORDS = {
    "故意杀人": "homicide",
    "杀人": "homicide",
    "放火": "arson",
    "纵火": "arson",
    "爆炸": "explosion",
    "绑架": "kidnapping",
    "抢劫": "robbery",
    "强奸": "rape",
    "投放危险物质": "poisoning",
    "投毒": "poisoning",
    "故意伤害致人重伤": "grievous_injury",
    "故意伤害致人死亡": "grievous_injury",
    "故意伤害致人重伤或死亡": "grievous_injury",
    "入室盗窃": "burglary",
    "盗窃电动车": "ebike_theft",
    "电动车被盗": "ebike_theft",
    "盗窃机动车": "vehicle_theft",
    "机动车被盗": "vehicle_theft",
    "扒窃": "pickpocketing",
    "盗窃": "other_theft",
    "抢夺": "snatching",
    "飞车抢夺": "snatching",
    "电信网络诈骗": "fraud",
    "电信诈骗": "fraud",
    "网络诈骗": "fraud",
    "电诈": "fraud",
}
FRAUD_WORDS = {
    "刷单": "order_brushing",
    "返利": "order_brushing",
    "投资理财": "investment",
    "理财": "investment",
    "网络贷款": "loan",
    "贷款": "loan",
    "客服": "customer_service",
    "公检法": "authorities",
    "征信": "credit",
    "游戏": "game_trading",
    "婚恋": "romance",
    "交友": "romance",
    "冒充领导": "acquaintance",
    "熟人": "acquaintance",
}
_WORDS_LONGEST_FIRST = sorted(CRIME_WORDS, key=len, reverse=True)


def crime_class_in(text: str) -> str:
    """The crime class a text names (a 110 category path, a title), or "" when it names none."""
    text = text or ""
    return next((CRIME_WORDS[w] for w in _WORDS_LONGEST_FIRST if w in text), "")


def fraud_type_in(text: str) -> str:
    text = text or ""
    return next((kind for word, kind in FRAUD_WORDS.items() if word in text), "")


def classify(category, *, crime_class: str = "", fraud_type: str = "") -> dict:
    """The classification of an event of ``category``: the class given (a 110 row's words) or
    the category's; a classed event is criminal, else it is what its category says; only fraud
    has a kind of fraud (``other`` when unnamed). Every door sets it through here."""
    crime_class = crime_class or category.crime_class
    offence = "criminal" if crime_class else category.offence
    fraud_type = (fraud_type or "other") if crime_class == "fraud" else ""
    return {"offence": offence, "crime_class": crime_class, "fraud_type": fraud_type}
