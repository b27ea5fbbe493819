"""Business rules of the tenancy core: creating merchants and their first user."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext, gettext_lazy

from .models import FIRST_STRIPE_ACCOUNT_NAME, Membership, Role, StripeConnection, Tenant
from .throttle import within_hourly_limit

User = get_user_model()


def tenant_create(*, slug: str, name: str, owner=None) -> Tenant:
    """Create a tenant (its first Stripe account, the owner's membership) or raise ValidationError;
    all or nothing."""
    with transaction.atomic():
        if Tenant.objects.filter(slug=slug).exists():
            raise ValidationError({"slug": f"The slug “{slug}” is already taken."})
        tenant = Tenant(slug=slug, name=name)
        tenant.full_clean()
        tenant.save()
        # Its first Stripe account, not connected yet: its webhook URL is known from the start.
        StripeConnection.objects.for_tenant(tenant).create(name=FIRST_STRIPE_ACCOUNT_NAME)
        if owner is not None:
            Membership.objects.for_tenant(tenant).create(user=owner, role=Role.OWNER)
    return tenant


def unique_tenant_slug(name: str) -> str:
    base = slugify(name)[:40] or "merchant"
    slug, n = base, 2
    while Tenant.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


EMAIL_TAKEN = gettext_lazy("An account with this e-mail already exists: log in instead.")


def user_signup(*, email: str, password: str, company_name: str) -> tuple[User, Tenant]:
    """A new user with their own tenant, as its owner. Raises ValidationError, creates nothing."""
    email = _new_account_email(email)
    try:
        validate_password(password, User(username=email, email=email))
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    password_hash = make_password(password)
    # Two sign-ups can pass the checks above at once. The unique username decides the e-mail; a
    # company slug another sign-up took meanwhile is simply picked again.
    for _attempt in range(3):
        user = User(username=email, email=email, password=password_hash)
        try:
            with transaction.atomic():
                user.save()
                tenant = tenant_create(slug=unique_tenant_slug(company_name), name=company_name, owner=user)
        except IntegrityError:
            if User.objects.filter(username=email).exists():
                raise ValidationError({"email": EMAIL_TAKEN}) from None
        except ValidationError as exc:
            # Only a slug taken between its pick and tenant_create's check is worth another try.
            if "slug" not in exc.message_dict:
                raise
        else:
            return user, tenant
    raise ValidationError(
        {NON_FIELD_ERRORS: gettext("Many sign-ups are arriving at this moment: please try again.")}
    )


def _new_account_email(email: str) -> str:
    """The e-mail, normalised, once it is valid, fits a username and has no account yet."""
    email = User.objects.normalize_email(email.strip()).lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": exc.messages}) from exc
    max_length = User._meta.get_field("username").max_length
    if len(email) > max_length:
        raise ValidationError(
            {"email": gettext("Use an e-mail of at most %(most)d characters.") % {"most": max_length}}
        )
    if User.objects.filter(username=email).exists():
        raise ValidationError({"email": EMAIL_TAKEN})
    return email


def signup_attempt_allowed(*, client_address: str) -> bool:
    """Count one sign-up attempt from this address; False once it made more than
    SIGNUP_RATE_PER_HOUR within the hour that began with its first (in the shared cache)."""
    return within_hourly_limit(key=f"signup-attempts:{client_address}", limit=settings.SIGNUP_RATE_PER_HOUR)


def password_reset_allowed(*, email: str) -> bool:
    """Count one password-reset e-mail to this address; False past PASSWORD_RESETS_PER_HOUR, so the
    form cannot be used to flood someone's inbox."""
    key = f"password-resets:{email.strip().lower()}"
    return within_hourly_limit(key=key, limit=settings.PASSWORD_RESETS_PER_HOUR)
