from .selectors import memberships_of


def tenancy(request) -> dict:
    """The current tenant (set by the resolver) and the others the user may switch to."""
    return {
        "current_tenant": getattr(request, "tenant", None),
        "current_membership": getattr(request, "membership", None),
        "my_memberships": memberships_of(user=request.user) if hasattr(request, "user") else [],
    }
