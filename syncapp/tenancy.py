"""The tenancy boundary: one resolver for tenant pages, one scoped manager for tenant data.

Tenant-owned rows are reached through `Model.objects.for_tenant(tenant)`; a bare
`Model.objects.all()` raises, so a query that forgot its tenant fails loudly in tests instead of
leaking another merchant's data. Code that really spans tenants (the admin, the sweeper, the
webhook entry that looks an event's tenant up first) says so with `Model.all_tenants`.
"""

from functools import wraps

from django.apps import apps
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404


class TenantScopeMissing(Exception):
    """A query on tenant data without a tenant: use `.for_tenant(tenant)`."""


class TenantScopedQuerySet(models.QuerySet):
    _tenant = None

    def create(self, **kwargs):
        if self._tenant is not None:
            kwargs.setdefault("tenant", self._tenant)
        return super().create(**kwargs)

    def _clone(self):
        clone = super()._clone()
        clone._tenant = self._tenant
        return clone


class TenantScopedManager(models.Manager.from_queryset(TenantScopedQuerySet)):
    def get_queryset(self):
        raise TenantScopeMissing(
            f"{self.model.__name__}.objects needs a tenant: use .for_tenant(tenant), "
            f"or {self.model.__name__}.all_tenants where spanning tenants is intended."
        )

    def for_tenant(self, tenant) -> TenantScopedQuerySet:
        if tenant is None:
            raise TenantScopeMissing(f"{self.model.__name__}.objects.for_tenant(None)")
        queryset = super().get_queryset()
        # Deferred, as Django's related managers defer theirs: the filter is built when the query
        # is first used, and `create()` (the webhook's one insert), which needs only the tenant
        # itself, never pays for building it. `_defer_next_filter` is Django's internal switch:
        # were it ever dropped, setting it would do nothing and the filter would be built at once,
        # as before (slower, never unscoped).
        queryset._defer_next_filter = True
        queryset = queryset.filter(tenant=tenant)
        queryset._tenant = tenant
        return queryset


class TenantOwnedModel(models.Model):
    tenant = models.ForeignKey("syncapp.Tenant", on_delete=models.CASCADE, related_name="+")

    # Declared first, so Django's internals and the admin use it; its name makes the intent plain.
    all_tenants = models.Manager()
    objects = TenantScopedManager()

    class Meta:
        abstract = True
        base_manager_name = "all_tenants"
        default_manager_name = "all_tenants"


def tenant_view(view=None, *, edit: bool = False):
    """Resolve `<slug>` to a tenant the user belongs to, or 404; set request.tenant/membership.

    Non-members get 404, not 403, so a URL does not even confirm that a tenant exists. With
    `edit=True` (or on any non-GET request) viewers get 403: they can read, not change.
    """

    def decorator(func):
        @wraps(func)
        def wrapper(request, slug, *args, **kwargs):
            # Through the app registry: the models import this module, so it never imports them.
            Membership = apps.get_model("syncapp", "Membership")
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = (
                Membership.all_tenants.select_related("tenant")
                .filter(user=request.user, tenant__slug=slug)
                .first()
            )
            if membership is None:
                membership = _viewing_membership(request, slug)
            if membership is None:
                raise Http404("No such merchant")
            changing = edit or request.method not in ("GET", "HEAD", "OPTIONS")
            if changing and not membership.can_edit:
                raise PermissionDenied("Viewers can read these settings, not change them.")
            request.tenant = membership.tenant
            request.membership = membership
            return func(request, *args, **kwargs)

        wrapper.tenant_view = True
        return wrapper

    return decorator(view) if view is not None else decorator


def _viewing_membership(request, slug: str):
    """A staff member viewing this tenant (syncapp/view_as.py) reads it as a viewer: an unsaved
    membership that can never edit."""
    session = getattr(request, "view_as", None)
    if session is None or session.tenant.slug != slug:
        return None
    Membership = apps.get_model("syncapp", "Membership")
    return Membership(tenant=session.tenant, user=request.user, role="viewer")
