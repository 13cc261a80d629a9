"""The WeChat mini-program client: wechatpy 2.0.0a26 pointed at a configurable base URL, fetching the
*stable* access token (``POST /cgi-bin/stable_token``), which wechatpy has no helper for, and keeping it in a
store shared by every process. Also the calls wechatpy gets wrong or lacks: msgSecCheck v2 and
mediaCheckAsync v2, and the check of WeChat's signed message pushes.
"""

from __future__ import annotations

import hmac
import time
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage
from wechatpy.utils import WeChatSigner

from complaints.errors import (
    AuthenticationFailed,
    DomainError,
    InvalidInput,
    PermissionDenied,
    ServiceUnavailable,
    TooManyAttempts,
)

LOCAL_TOKEN_MARGIN = 300
PUSH_WINDOW_SECONDS = 300
# msgSecCheck and mediaCheckAsync v2 need an openid that visited the mini-program in the last two hours.
USER_NOT_RECENTLY_ACTIVE = 61010
INVALID_OPENID = 40003


class WeChatUnavailable(ServiceUnavailable):
    code = "wechat_unavailable"
    message = "微信服务暂时不可用，请稍后再试"


@dataclass(frozen=True)
class WeChatSettings:
    appid: str
    secret: str
    api_base: str = "https://api.weixin.qq.com"
    timeout: float = 5.0


class MiniProgramClient(WeChatClient):
    def __init__(self, settings: WeChatSettings, storage: SessionStorage) -> None:
        super().__init__(settings.appid, settings.secret, session=storage, timeout=settings.timeout)
        self.base = settings.api_base.rstrip("/") + "/"
        self.API_BASE_URL = self.base + "cgi-bin/"
        self.wxa.API_BASE_URL = self.base
        self._local_token: tuple[str | None, float] = (None, 0.0)
        # Read proxy settings from the environment once, not on every request (requests would rescan os.environ).
        self._http.proxies = urllib.request.getproxies()
        self._http.trust_env = False

    @property
    def access_token(self) -> str:
        """The token from this process's memory while it has more than five minutes left, else from the shared
        store (which fetches a stable token when it has none): saves two store reads on every WeChat call."""
        cached, valid_until = self._local_token
        if cached is not None and time.time() < valid_until:
            return cached
        token: str = super().access_token
        self._local_token = (token, (self.expires_at or 0) - LOCAL_TOKEN_MARGIN)
        return token

    def fetch_access_token(self) -> dict[str, Any]:
        """The stable token: the same token for every caller while it is valid, so processes never evict each
        other's token as plain ``/cgi-bin/token`` calls would."""
        response = self._http.post(
            self.base + "cgi-bin/stable_token",
            json={
                "grant_type": "client_credential",
                "appid": self.appid,
                "secret": self.secret,
                "force_refresh": False,
            },
            timeout=self.timeout,
        )
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        if result.get("errcode"):
            raise WeChatClientException(result["errcode"], result.get("errmsg"), client=self)
        expires_in = int(result.get("expires_in", 7200))
        self.session.set(self.access_token_key, result["access_token"], expires_in)
        self.expires_at = int(time.time()) + expires_in
        self._local_token = (None, 0.0)
        return result


def code_to_session(client: MiniProgramClient, code: str) -> dict[str, Any]:
    """openid (and unionid) for a wx.login code; the session_key in the answer is dropped here."""
    result = _call(lambda: client.wxa.code_to_session(code))
    return {"openid": result["openid"], "unionid": result.get("unionid")}


def phone_number(client: MiniProgramClient, code: str) -> str:
    """The number behind a getPhoneNumber code (single use, valid five minutes). A bad code is the phone
    authorization's problem, not the login's: it must not send the mini-program back to wx.login."""
    try:
        result = _call(lambda: client.wxa.get_phone_number(code))
    except AuthenticationFailed as error:
        raise InvalidInput(
            "手机号授权已失效，请重新点击“授权手机号”", code="wx_invalid_phone_code", details=error.details
        ) from None
    info = result.get("phone_info")
    number = info.get("purePhoneNumber") if isinstance(info, dict) else None
    if not isinstance(number, str) or not number:
        raise WeChatUnavailable(details={"errcode": result.get("errcode")})
    return number


def check_text(client: MiniProgramClient, openid: str, content: str) -> str:
    """msgSecCheck v2 (wechatpy sends v1): 'pass', 'review' or 'risky'. Scene 1 is 资料 (a filed document).
    Raises a DomainError when WeChat cannot answer (unreachable, 61010 for an openid not seen lately, ...)."""
    body = {"version": 2, "openid": openid, "scene": 1, "content": content}
    result = _call(lambda: client.post("wxa/msg_sec_check", data=body, api_base_url=client.base))
    verdict = result.get("result")
    suggest = verdict.get("suggest") if isinstance(verdict, dict) else None
    return suggest if suggest in ("pass", "review", "risky") else "review"


def check_media_async(client: MiniProgramClient, openid: str, media_url: str) -> str:
    """mediaCheckAsync v2 for an image; the verdict arrives later as a ``wxa_media_check`` event."""
    body = {"media_url": media_url, "media_type": 2, "version": 2, "openid": openid, "scene": 1}
    result = _call(lambda: client.post("wxa/media_check_async", data=body, api_base_url=client.base))
    trace_id = result.get("trace_id")
    if not isinstance(trace_id, str) or not trace_id:
        raise WeChatUnavailable(details={"errcode": result.get("errcode")})
    return trace_id


def unchecked_reason(error: DomainError) -> str:
    """Why WeChat could not check a text or an image, in words for the staff who review it instead."""
    errcode = error.details.get("errcode") if isinstance(error.details, dict) else None
    if errcode == USER_NOT_RECENTLY_ACTIVE:
        return "该用户近两小时内没有访问小程序的记录（61010）"
    if errcode == INVALID_OPENID:
        return "微信不认可该用户的 openid（40003）"
    if errcode is None:
        return "微信内容安全接口无法连接或没有正常应答"
    return f"微信内容安全接口返回错误码 {errcode}"


def verify_push(token: str, signature: str, timestamp: str, nonce: str, now: datetime) -> None:
    """A message push from WeChat: signed with our token and sent within five minutes of ``now``. Replays inside
    the window are harmless: a media verdict applied twice changes nothing."""
    signer = WeChatSigner()
    signer.add_data(token, timestamp, nonce)
    if not hmac.compare_digest(signer.signature.encode(), signature.encode()):
        raise AuthenticationFailed("签名校验失败", code="bad_signature")
    fresh = timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12
    if not fresh or abs(now.timestamp() - int(timestamp)) > PUSH_WINDOW_SECONDS:
        raise AuthenticationFailed("请求时间戳超出5分钟有效期", code="stale_timestamp")


def send_subscribe(
    client: MiniProgramClient, openid: str, template_id: str, data: dict[str, Any], page: str | None = None
) -> None:
    _call(lambda: client.wxa.send_subscribe_message(openid, template_id, data, page))


def _call(request: Any) -> dict[str, Any]:
    try:
        result = request()
    except WeChatClientException as error:
        raise _translate(error) from None
    except requests.RequestException:
        raise WeChatUnavailable(details={"errcode": None}) from None
    if not isinstance(result, dict):  # wechatpy hands back the raw response when the body is not JSON
        raise WeChatUnavailable(details={"errcode": None})
    return result


class NoSubscription(DomainError):
    """43101: the user has no subscription left for this template; 47003: WeChat refuses a value."""

    code = "wx_no_subscription"


def _translate(error: WeChatClientException) -> DomainError:
    code = error.errcode
    if code in (43101, 47003):
        return NoSubscription(f"subscribe message refused: {code}", details={"errcode": code})
    details = {"errcode": code}
    if code in (40029, 40163):
        return AuthenticationFailed("登录凭证无效或已使用，请重新进入小程序", code="wx_invalid_code", details=details)
    if code == 45011:
        return TooManyAttempts("操作过于频繁，请稍后再试", code="wx_rate_limited", details=details)
    if code == 40226:
        return PermissionDenied("该微信账号因违规被限制使用", code="wx_user_blocked", details=details)
    return WeChatUnavailable(details=details)
