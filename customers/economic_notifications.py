"""e-conomic's "Customer updated" web hook entry: a hint to read the agreement's changes now.

e-conomic signs nothing and sends only the new and old customer numbers in the URL, so the call
is never trusted as data: the random id in the path names the tenant, and all it does is start
that tenant's read of changed customers (`economic_reads.py`), which asks e-conomic itself. No
outbound call on this path.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from syncapp.connections.selectors import economic_connection_notified

from .services.economic_reads import economic_read_request


@csrf_exempt
@require_http_methods(["GET", "POST"])
def economic_notification(request: HttpRequest, notification_id: str, **numbers: str) -> HttpResponse:
    connection = economic_connection_notified(notification_id=notification_id)
    if connection is None:
        return JsonResponse({"error": "Unknown notification URL."}, status=404)
    economic_read_request(tenant=connection.tenant)
    return HttpResponse(status=204)
