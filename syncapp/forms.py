from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm

# The e-mail is the username: no longer than the username column.
EMAIL_MAX_LENGTH = get_user_model()._meta.get_field("username").max_length


class SignupForm(forms.Form):
    company_name = forms.CharField(label="Company name", max_length=200)
    email = forms.EmailField(label="E-mail", max_length=EMAIL_MAX_LENGTH)
    password = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(label="E-mail", widget=forms.EmailInput(attrs={"autofocus": True}))

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()


def login_username(request, credentials: dict | None) -> str:
    """The account a login attempt was for, as django-axes counts failures: the e-mail as the
    login form cleans it, so "Anna@…" and "anna@…" are one account, on /admin/ too."""
    username = (credentials or {}).get("username") or request.POST.get("username") or ""
    return username.strip().lower()
