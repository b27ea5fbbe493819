"""The product's urls plus `bench/bare/`: the floor for ingest, shipped only in the bench."""

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from syncapp.urls import urlpatterns as product_urlpatterns

BARE_TABLE = "bench_bare_insert"


@csrf_exempt
@require_POST
def bare(request: HttpRequest) -> JsonResponse:
    """Only what no webhook endpoint can avoid: read the body, insert one row, answer."""
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {BARE_TABLE} (body) VALUES (%s)", [request.body.decode()])
    return JsonResponse({"received": True})


urlpatterns = [path("bench/bare/", bare), *product_urlpatterns]
