"""e-conomic's error body, with a fresh logId every time (support asks for it)."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import JsonResponse
from django.utils import timezone

HINTS = {
    400: "Inspect validation errors and correct your request.",
    401: "Check the X-AppSecretToken and X-AgreementGrantToken headers.",
    403: "The agreement does not allow this operation for your app.",
    404: "Check the URL and the number or code of the resource.",
    405: "See the resource's metaData for the methods it supports.",
    415: "Send the body as JSON with the header Content-Type: application/json.",
    429: "Slow down: wait the seconds in Retry-After when it is sent, else back off exponentially.",
    500: "Try again later; quote the logId if you contact support.",
    503: "The service is temporarily unavailable; try again later.",
}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        error_code: str | None = None,
        errors: dict[str, Any] | list[Any] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_code = error_code or f"E0{status}00"
        self.errors = errors
        self.headers = headers or {}

    def response(self) -> JsonResponse:
        return error_response(
            self.status, self.message, error_code=self.error_code, errors=self.errors, headers=self.headers
        )


def error_response(
    status: int,
    message: str,
    *,
    error_code: str,
    errors: dict[str, Any] | list[Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JsonResponse:
    body: dict[str, Any] = {
        "message": message,
        "errorCode": error_code,
        "developerHint": HINTS.get(status, ""),
        "logId": uuid.uuid4().hex[:20],
        "httpStatusCode": status,
        "logTime": timezone.now().strftime("%Y-%m-%dT%H:%M:%S"),
    }
    if errors:
        body["errors"] = errors
    response = JsonResponse(body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_entry(field: str, message: str, code: str, input_value: Any, *, hint: str = "") -> dict[str, Any]:
    """One item of an `errors[]` list; `propertyName` is the property's own name (the last part
    of a nested path)."""
    return {
        "propertyName": field,
        "errorMessage": message,
        "errorCode": code,
        "inputValue": input_value,
        "developerHint": hint or "Correct the value and send the request again.",
    }


def count_entries(errors: Any) -> int:
    """How many error entries an `errors` value holds, at any depth, in dicts or lists."""
    if isinstance(errors, list):
        return sum(count_entries(item) for item in errors)
    if not isinstance(errors, dict):
        return 0
    if "propertyName" in errors and "errorMessage" in errors:
        return 1
    return sum(count_entries(value) for value in errors.values())


def validation_failed(errors: dict[str, Any] | list[Any], *, message: str | None = None) -> ApiError:
    count = count_entries(errors)
    noun = "error" if count == 1 else "errors"
    return ApiError(
        400, message or f"Validation failed. {count} {noun} found.", error_code="E04300", errors=errors
    )


class ValidationErrors:
    """Collects field errors in e-conomic's shape, nested the way the request nests its objects:
    `add("name", ...)` lands in `errors.name.errors[]`, `add("vatZone.vatZoneNumber", ...)` in
    `errors.vatZone.vatZoneNumber.errors[]`."""

    def __init__(self) -> None:
        self.errors: dict[str, Any] = {}

    def add(self, path: str, message: str, code: str, input_value: Any, *, hint: str = "") -> None:
        *parents, field = path.split(".")
        node = self.errors
        for parent in parents:
            node = node.setdefault(parent, {})
        entry = error_entry(field, message, code, input_value, hint=hint)
        node.setdefault(field, {}).setdefault("errors", []).append(entry)

    def raise_if_any(self) -> None:
        if self.errors:
            raise validation_failed(self.errors)
