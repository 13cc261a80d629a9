"""Domain errors. Each carries a stable machine ``code`` and a Chinese ``message`` for the user; the API layer
maps the class to an HTTP status."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "domain_error"
    message = "操作无法完成"

    def __init__(self, message: str | None = None, *, code: str | None = None, details: Any = None):
        super().__init__(message or self.message)
        if message is not None:
            self.message = message
        if code is not None:
            self.code = code
        self.details = details


class InvalidInput(DomainError):
    code = "invalid_input"
    message = "提交的数据不符合要求"


class NotFound(DomainError):
    code = "not_found"
    message = "请求的对象不存在"


class Conflict(DomainError):
    code = "conflict"
    message = "操作与现有数据冲突"


class PermissionDenied(DomainError):
    code = "forbidden"
    message = "您没有执行此操作的权限"


class AuthenticationFailed(DomainError):
    code = "unauthorized"
    message = "身份验证失败"


class ServiceUnavailable(DomainError):
    """Something we depend on (WeChat, a font, a provider) is missing or down; the request may be retried."""

    code = "service_unavailable"
    message = "服务暂时不可用，请稍后再试"


class TooManyAttempts(DomainError):
    code = "too_many_requests"
    message = "请求过于频繁，请稍后再试"
