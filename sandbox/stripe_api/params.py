"""Stripe's form encoding (`metadata[k]=v`, `expand[0]=x`, `expand[]=x`) and its error bodies."""

import re
from collections.abc import Iterable
from typing import Any

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")
# Hashes whose keys are the caller's own: never turned into lists even when the keys are digits.
_FREE_FORM = {"metadata"}


class ApiError(Exception):
    """An error answer in Stripe's shape: `{"error": {"type", "code", "message", "param"}}`."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.headers: dict[str, str] = dict(headers or {})

    def body(self) -> dict:
        error: dict[str, Any] = {"message": self.message, "type": self.type}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        return {"error": error}


def invalid(message: str, *, param: str | None = None, code: str | None = None) -> ApiError:
    return ApiError(400, message, param=param, code=code)


def parse_params(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Nest bracketed form keys into dicts and lists, the way Stripe's API reads them."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        match = _KEY.match(key)
        if not match:
            if key.startswith("metadata["):
                raise invalid("Metadata keys may not contain '[' or ']'.", param="metadata")
            raise invalid(f"Invalid parameter name: {key}", param=key)
        parts = [match.group(1), *_PART.findall(match.group(2))]
        node = root
        for part in parts[:-1]:
            part = part or str(len(node))
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[parts[-1] or str(len(node))] = value
    return {k: _listify(v, k) for k, v in root.items()}


def _listify(value: Any, name: str) -> Any:
    if not isinstance(value, dict):
        return value
    nested = {k: _listify(v, k) for k, v in value.items()}
    if name not in _FREE_FORM and nested and all(k.isdigit() for k in nested):
        return [nested[k] for k in sorted(nested, key=int)]
    return nested


def as_list(value: Any, param: str) -> list:
    if value in (None, ""):
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return [value]
    raise invalid(f"Invalid array for {param}.", param=param)


def as_int(value: Any, param: str, *, low: int | None = None, high: int | None = None) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise invalid(f"Invalid integer: {value}", param=param) from None
    if (low is not None and number < low) or (high is not None and number > high):
        raise invalid(f"Invalid {param}: must be between {low} and {high}", param=param)
    return number
