from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from .services import EMAIL_TAKEN

# The e-mail is the username: no longer than the username column.
EMAIL_MAX_LENGTH = get_user_model()._meta.get_field("username").max_length


EMAIL_TAKEN_CODE = "email_taken"


class SignupForm(forms.Form):
    company_name = forms.CharField(label=gettext_lazy("Company name"), max_length=200)
    email = forms.EmailField(label=gettext_lazy("E-mail"), max_length=EMAIL_MAX_LENGTH)
    password = forms.CharField(label=gettext_lazy("Password"), widget=forms.PasswordInput, strip=False)

    def clean(self):
        """Every problem at once: the password's strength and a taken e-mail are named together
        with the other fields' errors, not one round after them (the sign-up checks them again)."""
        cleaned = super().clean()
        User = get_user_model()
        email = User.objects.normalize_email((cleaned.get("email") or "").strip()).lower()
        password = cleaned.get("password")
        if password:
            try:
                validate_password(password, User(username=email, email=email))
            except ValidationError as exc:
                self.add_error("password", exc)
        if email and User.objects.filter(username=email).exists():
            self.add_error("email", ValidationError(EMAIL_TAKEN, code=EMAIL_TAKEN_CODE))
        return cleaned

    @property
    def email_taken(self) -> bool:
        return any(error.code == EMAIL_TAKEN_CODE for error in self.errors.as_data().get("email", []))


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=gettext_lazy("E-mail"), widget=forms.EmailInput(attrs={"autofocus": True})
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        # Django's own says "username", which this form does not ask for.
        "invalid_login": gettext_lazy(
            "That e-mail and password do not match an account. Check both; the password is case-sensitive."
        ),
    }

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()


def login_username(request, credentials: dict | None) -> str:
    """The account a login attempt was for, as django-axes counts failures: the e-mail as the
    login form cleans it, so "Anna@…" and "anna@…" are one account, on /admin/ too."""
    username = (credentials or {}).get("username") or request.POST.get("username") or ""
    return username.strip().lower()
