"""The WeChat mini-program client: wechatpy 2.0.0a26 pointed at a configurable base URL, fetching the
*stable* access token (``POST /cgi-bin/stable_token``), which wechatpy has no helper for, and keeping it in a
store shared by every process. Also the calls wechatpy gets wrong or lacks: msgSecCheck v2 and
mediaCheckAsync v2.
"""

from __future__ import annotations

import time
import urllib.request
from dataclasses import dataclass
from typing import Any

import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage

from complaints.errors import AuthenticationFailed, DomainError, PermissionDenied, ServiceUnavailable, TooManyAttempts

LOCAL_TOKEN_MARGIN = 300


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
    result = _call(lambda: client.wxa.get_phone_number(code))
    number: str = result["phone_info"]["purePhoneNumber"]
    return number


def check_text(client: MiniProgramClient, openid: str, content: str) -> str:
    """msgSecCheck v2 (wechatpy sends v1): 'pass', 'review' or 'risky'. Scene 1 is 资料 (a filed document)."""
    body = {"version": 2, "openid": openid, "scene": 1, "content": content}
    result = _call(lambda: client.post("wxa/msg_sec_check", data=body, api_base_url=client.base))
    suggest: str = result.get("result", {}).get("suggest", "review")
    return suggest


def check_media_async(client: MiniProgramClient, openid: str, media_url: str) -> str:
    """mediaCheckAsync v2 for an image; the verdict arrives later as a ``wxa_media_check`` event."""
    body = {"media_url": media_url, "media_type": 2, "version": 2, "openid": openid, "scene": 1}
    result = _call(lambda: client.post("wxa/media_check_async", data=body, api_base_url=client.base))
    trace_id: str = result["trace_id"]
    return trace_id


def send_subscribe(
    client: MiniProgramClient, openid: str, template_id: str, data: dict[str, Any], page: str | None = None
) -> None:
    _call(lambda: client.wxa.send_subscribe_message(openid, template_id, data, page))


def _call(request: Any) -> dict[str, Any]:
    try:
        result: dict[str, Any] = request()
    except WeChatClientException as error:
        raise _translate(error) from None
    except requests.RequestException:
        raise WeChatUnavailable() from None
    return result


class NoSubscription(DomainError):
    """43101: the user has no subscription left for this template; 47003: WeChat refuses a value."""

    code = "wx_no_subscription"


def _translate(error: WeChatClientException) -> DomainError:
    code = error.errcode
    if code in (43101, 47003):
        return NoSubscription(f"subscribe message refused: {code}", details={"errcode": code})
    if code in (40029, 40163):
        return AuthenticationFailed("登录凭证无效或已使用，请重新进入小程序", code="wx_invalid_code")
    if code == 45011:
        return TooManyAttempts("操作过于频繁，请稍后再试", code="wx_rate_limited")
    if code == 40226:
        return PermissionDenied("该微信账号因违规被限制使用", code="wx_user_blocked")
    return WeChatUnavailable(details={"errcode": code})
