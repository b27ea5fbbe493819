"""Business rules of the tenancy core: creating merchants and their first user."""

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.text import slugify

from .models import Membership, Role, Tenant

User = get_user_model()


def tenant_create(*, slug: str, name: str, owner=None) -> Tenant:
    """Create a tenant (and the owner's membership) or raise ValidationError; all or nothing."""
    with transaction.atomic():
        if Tenant.objects.filter(slug=slug).exists():
            raise ValidationError({"slug": f"The slug “{slug}” is already taken."})
        tenant = Tenant(slug=slug, name=name)
        tenant.full_clean()
        tenant.save()
        if owner is not None:
            Membership.objects.for_tenant(tenant).create(user=owner, role=Role.OWNER)
    return tenant


def unique_tenant_slug(name: str) -> str:
    base = slugify(name)[:40] or "merchant"
    slug, n = base, 2
    while Tenant.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def user_signup(*, email: str, password: str, company_name: str) -> tuple[User, Tenant]:
    """A new user with their own tenant, as its owner. Raises ValidationError, creates nothing."""
    email = User.objects.normalize_email(email.strip()).lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": exc.messages}) from exc
    if User.objects.filter(username=email).exists():
        raise ValidationError({"email": "An account with this e-mail already exists: log in instead."})
    user = User(username=email, email=email)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    with transaction.atomic():
        user.set_password(password)
        user.save()
        tenant = tenant_create(slug=unique_tenant_slug(company_name), name=company_name, owner=user)
    return user, tenant
