import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from fengqiao.web.forms import ActionErrorsMixin


class RedemptionForm(ActionErrorsMixin, forms.Form):
    """The counter: a volunteer of the staff's stations, an item of the catalogue. The hidden key is
    made when the form is drawn, so the same form sent twice redeems once."""

    member = forms.ModelChoiceField(queryset=None, label=_("Volunteer"))
    item = forms.ModelChoiceField(queryset=None, label=_("Item"))
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=80)

    def __init__(self, accounts, items, *args, **kwargs):
        kwargs.setdefault("initial", {})["idempotency_key"] = uuid.uuid4().hex
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = accounts
        self.fields["member"].label_from_instance = lambda a: f"{a.member.name} · {a.balance}"
        self.fields["item"].queryset = items
        self.fields["item"].label_from_instance = lambda i: f"{i.name} · {i.price}"


class CardForm(forms.Form):
    """The volunteer's card at the counter: its QR code scanned (``FQPT:<code>``) or its code typed."""

    card = forms.CharField(label=_("Volunteer's card"), max_length=40)

    def clean_card(self):
        return self.cleaned_data["card"].strip().upper().removeprefix("FQPT:")


class PartnerForm(ActionErrorsMixin, forms.Form):
    station = forms.ModelChoiceField(queryset=None, label=_("Police station"))
    name = forms.CharField(label=_("Partner business"), max_length=100)
    contact = forms.CharField(label=_("Contact person"), max_length=64, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)

    def __init__(self, stations, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = stations


class ItemForm(ActionErrorsMixin, forms.Form):
    station = forms.ModelChoiceField(queryset=None, label=_("Police station"))
    name = forms.CharField(label=_("Item"), max_length=100)
    price = forms.IntegerField(label=_("Price in points"), min_value=1)
    partner = forms.ModelChoiceField(queryset=None, label=_("Partner business"), required=False)

    def __init__(self, stations, partners, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = stations
        self.fields["partner"].queryset = partners


class StockMoveForm(ActionErrorsMixin, forms.Form):
    """Goods delivered onto the shelf, or written off it with the reason."""

    DELIVERY, WRITE_OFF = "delivery", "write_off"
    kind = forms.ChoiceField(
        label=_("Movement"), choices=[(DELIVERY, _("Delivery")), (WRITE_OFF, _("Write-off"))]
    )
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class StockCountForm(ActionErrorsMixin, forms.Form):
    on_shelf = forms.IntegerField(label=_("On the shelf"), min_value=0)
    reason = forms.CharField(
        label=_("Reason for a difference"),
        max_length=200,
        required=False,
        help_text=_("Required when the shelf differs from the books."),
    )
