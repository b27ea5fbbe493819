"""The language a member reads the product in: English or Danish (docs/i18n.md).

At first the browser's Accept-Language decides (Django's LocaleMiddleware). Once a member picks
a language in the menu it is stored on the user (`Profile.language`) and wins over the browser,
on every device, and the e-mails sent to that member are written in it too.
"""

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import translation

from .models import Profile

# The member's stored choice, copied into the session at login and at each switch, so a page
# costs no query to know it.
SESSION_KEY = "member_language"
LANGUAGE_CODES = frozenset(code for code, _name in settings.LANGUAGES)


def member_language(user) -> str:
    """The language `user` chose, or the site's default (English) when they never chose one."""
    language = Profile.objects.filter(user=user).values_list("language", flat=True).first()
    return language or settings.LANGUAGE_CODE


def member_language_set(*, user, language: str) -> str:
    """Store `language` as the member's choice; the language stored."""
    if language not in LANGUAGE_CODES:
        raise ValueError(f"Unknown language {language!r}")
    Profile.objects.update_or_create(user=user, defaults={"language": language})
    return language


def by_language(recipients: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """(e-mail, language) pairs as language → sorted e-mails; a blank language is the default."""
    groups: dict[str, set[str]] = {}
    for email, language in recipients:
        if email:
            groups.setdefault(language or settings.LANGUAGE_CODE, set()).add(email)
    return {language: sorted(emails) for language, emails in sorted(groups.items())}


@receiver(user_logged_in, dispatch_uid="syncapp-member-language")
def _remember_language_at_login(sender, request, user, **kwargs) -> None:
    language = Profile.objects.filter(user=user).values_list("language", flat=True).first()
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = language or ""


class MemberLanguageMiddleware:
    """After LocaleMiddleware and authentication: a signed-in member's own choice wins over the
    browser's. A session from before this middleware learns the choice once."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = self._chosen(request)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)

    @staticmethod
    def _chosen(request) -> str:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return ""
        if SESSION_KEY not in request.session:
            request.session[SESSION_KEY] = (
                Profile.objects.filter(user=user).values_list("language", flat=True).first() or ""
            )
        language = request.session[SESSION_KEY]
        return language if language in LANGUAGE_CODES else ""
