"""The JSON error envelope of the API: ``{"code", "message", "details"}`` with a Chinese message.

JSON errors are scoped to ``/api/``; the console's HTML pages keep Flask's HTML errors. Validation errors are
400 (flask-smorest and webargs would say 422). Any error marks the request's transaction for rollback.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, jsonify, request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError

from complaints.errors import (
    AuthenticationFailed,
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    ServiceUnavailable,
    TooManyAttempts,
)

from .field_messages import chinese_details

log = logging.getLogger(__name__)

API_PREFIX = "/api/"

DEFAULTS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "请求格式不正确"),
    401: ("unauthorized", "请先登录"),
    403: ("forbidden", "您没有执行此操作的权限"),
    404: ("not_found", "请求的资源不存在"),
    405: ("method_not_allowed", "不支持该请求方法"),
    409: ("conflict", "操作与现有数据冲突"),
    413: ("payload_too_large", "提交的内容超过大小限制"),
    415: ("unsupported_media_type", "不支持的内容类型"),
    422: ("validation_error", "提交的数据未通过校验"),
    429: ("too_many_requests", "请求过于频繁，请稍后再试"),
    500: ("internal_error", "服务器内部错误，请稍后再试"),
    503: ("service_unavailable", "服务暂时不可用，请稍后再试"),
}

DOMAIN_STATUS: dict[type[DomainError], int] = {
    InvalidInput: 400,
    AuthenticationFailed: 401,
    PermissionDenied: 403,
    NotFound: 404,
    Conflict: 409,
    TooManyAttempts: 429,
    ServiceUnavailable: 503,
}


def error_response(status: int, code: str | None = None, message: str | None = None, details: Any = None) -> Response:
    default_code, default_message = DEFAULTS.get(status, DEFAULTS[500] if status >= 500 else DEFAULTS[400])
    response = jsonify({"code": code or default_code, "message": message or default_message, "details": details})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="staff"'
    return response


def domain_error_response(error: DomainError) -> Response:
    return error_response(status_of(error), error.code, error.message, error.details)


def status_of(error: DomainError) -> int:
    return next((s for cls, s in DOMAIN_STATUS.items() if isinstance(error, cls)), 400)


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def init_app(app: Flask) -> None:
    """Register after flask-smorest's ``Api.init_app`` so these handlers replace its own."""
    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(DomainError, _handle_domain_error)
    app.register_error_handler(StaleDataError, _handle_concurrent_change)
    app.register_error_handler(IntegrityError, _handle_integrity_error)
    app.register_error_handler(Exception, _handle_unexpected)


def _handle_http_exception(error: HTTPException) -> Response | HTTPException:
    g.rollback_only = True
    if not is_api_request():
        return error
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    if status == 422 or (status == 400 and messages):
        return error_response(400, "validation_error", DEFAULTS[422][1], chinese_details(messages))
    response = error_response(status)
    if status == 405 and error.get_headers():
        response.headers.update({k: v for k, v in error.get_headers() if k == "Allow"})
    return response


def _handle_domain_error(error: DomainError) -> Response:
    g.rollback_only = True
    return domain_error_response(error)


def _handle_concurrent_change(error: StaleDataError) -> Response:
    g.rollback_only = True
    return error_response(409, "concurrent_change", "该记录已被他人修改，请刷新后重试")


def _handle_integrity_error(error: IntegrityError) -> Response:
    """A database constraint refused the change: a conflict with existing data (or a rule the code missed)."""
    g.rollback_only = True
    log.warning("constraint refused a change on %s %s: %s", request.method, request.path, type(error.orig).__name__)
    return error_response(409, "conflict", "数据与现有记录冲突或不符合业务规则，请刷新后重试")


def _handle_unexpected(error: Exception) -> Response | HTTPException:
    g.rollback_only = True
    log.exception("unhandled error on %s %s", request.method, request.path)
    if not is_api_request():
        return InternalServerError()
    return error_response(500)
