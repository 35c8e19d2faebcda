from django.db import models
from django.utils.translation import gettext_lazy as _


class Platform(models.TextChoices):
    WECHAT = "wechat", _("WeChat")
    WECOM = "wecom", _("WeCom")
    QQ = "qq", _("QQ")


class MessageKind(models.TextChoices):
    PREVENTION = "prevention", _("prevention reminder")  # 防范提醒
    INCIDENT = "incident", _("incident bulletin")  # 警情通报
    POLICY = "policy", _("policy information")  # 政策咨询
    ANTI_FRAUD = "anti_fraud", _("anti-fraud warning")  # 反诈预警


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("awaiting approval")
    APPROVED = "approved", _("approved, scheduled")
    REJECTED = "rejected", _("sent back")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    CANCELLED = "cancelled", _("cancelled")


class DeliveryChannel(models.TextChoices):
    GROUP_BOT = "group_bot", _("WeCom group bot")
    WEB_PUSH = "web_push", _("Web Push")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("e-mail")
    IN_APP = "in_app", _("in the app")


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("pending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed, will retry")
    GIVEN_UP = "given_up", _("given up")


class ConsultationChannel(models.TextChoices):
    PHONE = "phone", _("phone call")
    VISIT = "visit", _("visit to the station")
    ONLINE = "online", _("online")
    STALL = "stall", _("at a publicity stall")


class ConsultationOutcome(models.TextChoices):
    DISSUADED = "dissuaded", _("dissuaded")  # 成功劝阻
    DEFRAUDED = "defrauded", _("already defrauded")  # 已被骗
    NOT_FRAUD = "not_fraud", _("not fraud")


class LectureKind(models.TextChoices):
    STALL = "stall", _("publicity stall")  # 宣传摆摊
    LECTURE = "lecture", _("community policing lecture")  # 社区警务大讲堂
    LAW_TIME = "law_time", _("law popularisation session")  # 普法时间
