from django import forms
from django.contrib.auth.forms import AuthenticationForm


class SignupForm(forms.Form):
    company_name = forms.CharField(label="Company name", max_length=200)
    email = forms.EmailField(label="E-mail")
    password = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(label="E-mail", widget=forms.EmailInput(attrs={"autofocus": True}))

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()
