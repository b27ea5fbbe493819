from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class StripeConnectForm(forms.Form):
    """Secrets are write-only: the inputs never render a value back (PasswordInput's default)."""

    api_key = forms.CharField(
        label=gettext_lazy("Stripe API key"),
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=gettext_lazy(
            "A restricted key (rk_…) or a secret key (sk_…). Paste a new one to rotate it."
        ),
    )
    webhook_secret = forms.CharField(
        label=gettext_lazy("Webhook signing secret (optional)"),
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=gettext_lazy(
            "Only if you created the webhook endpoint yourself in Stripe (whsec_…). "
            "Leave empty and we register the endpoint for you."
        ),
    )

    # Which of the tenant's Stripe accounts the key is for (its first one when absent).
    account = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("api_key") and not cleaned.get("webhook_secret"):
            raise forms.ValidationError(_("Paste your Stripe API key."))
        return cleaned


class StripeAccountAddForm(StripeConnectForm):
    """Another Stripe account booking into the same e-conomic ("SE shop" beside "DK shop")."""

    name = forms.CharField(
        label=gettext_lazy("Account name"),
        max_length=60,
        help_text=gettext_lazy("How you tell this account apart in the sync log, e.g. “SE shop”."),
    )
    field_order = ["name", "api_key", "webhook_secret"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["account"]  # a new account has no id yet
        key, secret = self.fields["api_key"], self.fields["webhook_secret"]
        key.label, key.required = gettext_lazy("API key of the new account"), True
        key.help_text = "A restricted key (rk_…) or a secret key (sk_…) of that Stripe account."
        secret.label = gettext_lazy("Its webhook signing secret (optional)")
        secret.help_text = (
            "Only if you created its webhook endpoint yourself. Leave empty and we register it."
        )
