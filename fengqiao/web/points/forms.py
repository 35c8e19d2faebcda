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
