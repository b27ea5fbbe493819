from django import forms


class StripeConnectForm(forms.Form):
    """Secrets are write-only: the inputs never render a value back (PasswordInput's default)."""

    api_key = forms.CharField(
        label="Stripe API key",
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="A restricted key (rk_…) or a secret key (sk_…). Paste a new one to rotate it.",
    )
    webhook_secret = forms.CharField(
        label="Webhook signing secret (optional)",
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="Only if you created the webhook endpoint yourself in Stripe (whsec_…). "
        "Leave empty and we register the endpoint for you.",
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("api_key") and not cleaned.get("webhook_secret"):
            raise forms.ValidationError("Paste your Stripe API key.")
        return cleaned
