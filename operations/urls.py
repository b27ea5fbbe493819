"""The merchant's routes around the sync: the review screens and the privacy requests. Their names
are the ones they had under customers/urls.py; the paths sit under the same /t/<slug>/ prefixes."""

from django.urls import path

from . import privacy_views, review_views

urlpatterns = [
    path(
        "t/<slug:slug>/sync/<int:record_id>/erase/",
        privacy_views.customer_erase_request,
        name="customer_erase",
    ),
    path("t/<slug:slug>/sync/retention/", privacy_views.retention_update, name="sync_retention"),
    path("t/<slug:slug>/review/", review_views.review_list, name="review"),
    path("t/<slug:slug>/review/bulk/", review_views.review_bulk, name="review_bulk"),
    path("t/<slug:slug>/review/<int:item_id>/", review_views.review_detail, name="review_detail"),
]
