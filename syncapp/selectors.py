from .models import Membership


def memberships_of(*, user) -> list[Membership]:
    """The tenants a user may switch between, for the navigation."""
    if not user.is_authenticated:
        return []
    return list(Membership.all_tenants.filter(user=user).select_related("tenant").order_by("tenant__name"))
