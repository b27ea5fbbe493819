"""E-mail verification: a new owner proves they receive mail at the address they signed up with
before their merchant can invite anyone (otherwise a sign-up with someone else's address could
send invitations in that person's name).

The link carries a signed, expiring token (user and address; nothing stored until it is used).
Accepting an invitation and resetting a password prove the address too. Accounts made before
this existed were marked verified by the migration that added it.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from .language import member_language
from .mail import mail_send
from .models import VerifiedEmail
from .throttle import within_hourly_limit

User = get_user_model()
LINK_LIFETIME = timedelta(days=3)
SALT = "syncapp.verification"
# Links sent again on request, per account per hour.
RESENDS_PER_HOUR = 5


class VerificationRefused(Exception):
    """The link cannot be used; the message says why and what to do."""


def email_verified(*, user) -> bool:
    email = (getattr(user, "email", "") or "").lower()
    return bool(email) and VerifiedEmail.objects.filter(user=user, email__iexact=email).exists()


def email_mark_verified(*, user) -> None:
    VerifiedEmail.objects.update_or_create(user=user, defaults={"email": user.email.lower()})


def verification_url(*, user) -> str:
    token = signing.dumps({"user": user.pk, "email": user.email.lower()}, salt=SALT)
    return f"{settings.SITE_URL}{reverse('email_verify', args=[token])}"


def email_verification_send(*, user) -> bool:
    """E-mail the user a verification link; False when it was sent too often this hour."""
    if not within_hourly_limit(key=f"verification-sent:{user.pk}", limit=RESENDS_PER_HOUR):
        return False
    words = {"email": user.email, "days": LINK_LIFETIME.days, "link": verification_url(user=user)}
    with translation.override(member_language(user)):
        mail_send(
            subject=_("Verify your e-mail for Stripe ↔ e-conomic sync"),
            message=_(
                "Open this link to verify %(email)s (it works for %(days)d days):\n%(link)s\n\n"
                "Until you do, you can connect and sync, but not invite members. If you did not sign "
                "up, ignore this e-mail.\n"
            )
            % words,
            recipients=[user.email],
        )
    return True


def email_verify(*, token: str):
    """The user whose address the link proves, now marked verified; VerificationRefused if not."""
    try:
        claim = signing.loads(token, salt=SALT, max_age=LINK_LIFETIME)
    except signing.SignatureExpired:
        raise VerificationRefused(_("This link has expired: log in and ask for a new one.")) from None
    except signing.BadSignature:
        raise VerificationRefused(_("This link is not valid: open it exactly as it was e-mailed.")) from None
    user = User.objects.filter(pk=claim.get("user"), is_active=True).first()
    if user is None or user.email.lower() != claim.get("email"):
        raise VerificationRefused(_("This link is for an address this account no longer has."))
    email_mark_verified(user=user)
    return user
