"""Access to the typed configuration of the running app, and the policies derived from it."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import redis
from flask import Flask, current_app
from wechatpy.session.redisstorage import RedisStorage

from channel.token_store import DatabaseStorage
from channel.uploads import UploadStore
from channel.wechat import MiniProgramClient, WeChatSettings, WeChatUnavailable
from complaints.crypto import PersonalDataCipher
from complaints.database import db
from complaints.sessions import LoginPolicy
from complaints.statistics import DEFAULT_FORMULAS
from notifications.senders import EVENT_TEXTS, HotlineCallback, Senders, http_pool
from notifications.sms import (
    ALIYUN_ENDPOINT,
    TENCENT_ENDPOINT,
    AliyunSms,
    FileSms,
    SmsProvider,
    SmsTemplate,
    TencentSms,
)
from notifications.subscribe import load_templates
from notifications.wecom import WeComClient, WeComSender
from triage.store import ModelStore
from triage.suggestion import TriagePolicy

from .config import Config

SMS_VARIABLES = {"reference": "reference", "status": "status"}


def install(app: Flask, config: Config) -> None:
    app.extensions["complaints.config"] = config
    app.extensions["complaints.login_policy"] = LoginPolicy(
        max_failures=config.login_max_failures,
        lockout=timedelta(minutes=config.login_lockout_minutes),
        idle_timeout=timedelta(minutes=config.session_idle_minutes),
        absolute_lifetime=timedelta(hours=config.session_absolute_hours),
        failures_per_ip=config.login_failures_per_ip,
        ip_window=timedelta(minutes=config.login_ip_window_minutes),
    )
    assert config.lookup_hash_key is not None
    app.extensions["complaints.cipher"] = PersonalDataCipher(config.data_encryption_keys, config.lookup_hash_key)


def wechat_client() -> MiniProgramClient:
    """The app's mini-program client (built once), or 503 when WeChat is not configured."""
    client: MiniProgramClient | None = current_app.extensions.get("complaints.wechat")
    if client is not None:
        return client
    settings = config()
    if not settings.wechat_appid or not settings.wechat_secret:
        raise WeChatUnavailable("未配置微信小程序（WECHAT_APPID / WECHAT_SECRET）", code="wechat_not_configured")
    storage = (
        RedisStorage(redis.Redis.from_url(settings.redis_url), prefix="complaints:wechat")
        if settings.redis_url
        else DatabaseStorage(db.engine)
    )
    client = MiniProgramClient(
        WeChatSettings(settings.wechat_appid, settings.wechat_secret, settings.wechat_api_base), storage
    )
    current_app.extensions["complaints.wechat"] = client
    return client


def senders() -> Senders:
    """How the outbox reaches people, from the configuration (built once per app)."""
    built: Senders | None = current_app.extensions.get("complaints.senders")
    if built is not None:
        return built
    settings = config()
    hotline = None
    if settings.hotline_callback_url and settings.hotline_secret:
        url = settings.hotline_callback_url
        hotline = HotlineCallback(url, settings.hotline_secret, http_pool(url))
    # Built here, not looked up per message: the relay's lanes call the senders outside any app context.
    client = wechat_client() if settings.wechat_appid and settings.wechat_secret else None
    wecom = None
    if settings.wecom_corp_id and settings.wecom_secret and settings.wecom_agent_id:
        storage = DatabaseStorage(db.engine)
        wecom = WeComSender(
            WeComClient(settings.wecom_corp_id, settings.wecom_secret, settings.wecom_api_base, storage),
            settings.wecom_agent_id,
        )
    built = Senders(
        personal_data_cipher(),
        sms_provider(settings),
        hotline,
        client,
        load_templates(settings.notification_templates),
        wecom,
    )
    current_app.extensions["complaints.senders"] = built
    return built


def sms_provider(settings: Config) -> SmsProvider:
    if settings.sms_provider == "file":
        return FileSms(settings.data_dir / "sms-outbox.jsonl")
    templates = dict.fromkeys(EVENT_TEXTS, SmsTemplate(settings.sms_template_code or "", SMS_VARIABLES))
    assert settings.sms_key_id and settings.sms_key_secret and settings.sms_sign_name
    if settings.sms_provider == "aliyun":
        return AliyunSms(
            settings.sms_key_id,
            settings.sms_key_secret,
            settings.sms_sign_name,
            templates,
            settings.sms_endpoint or ALIYUN_ENDPOINT,
        )
    assert settings.sms_app_id
    return TencentSms(
        settings.sms_key_id,
        settings.sms_key_secret,
        settings.sms_app_id,
        settings.sms_sign_name,
        templates,
        settings.sms_endpoint or TENCENT_ENDPOINT,
    )


def upload_store() -> UploadStore:
    settings = config()
    assert settings.secret_key is not None
    return UploadStore(
        directory=settings.data_dir / "uploads",
        signing_key=hashlib.sha256(b"media-links:" + settings.secret_key.encode()).digest(),
        max_bytes=settings.max_upload_mb * 1024 * 1024,
        cipher=personal_data_cipher(),
    )


def triage_store() -> ModelStore:
    """The triage models under DATA_DIR/models (built once per app, so the loaded model is cached)."""
    store: ModelStore | None = current_app.extensions.get("complaints.triage_store")
    if store is None:
        store = ModelStore(config().data_dir / "models" / "triage")
        current_app.extensions["complaints.triage_store"] = store
    return store


def triage_policy() -> TriagePolicy:
    settings = config()
    return TriagePolicy(settings.triage_auto_route, settings.triage_repeat_days, settings.triage_cluster_size)


def metric_formulas() -> dict[str, tuple[str, str]]:
    """The three rates' formulas: the defaults, with what METRIC_FORMULAS changes."""
    return {**DEFAULT_FORMULAS, **{metric: (n, d) for metric, n, d in config().metric_formulas}}


def config() -> Config:
    value: Config = current_app.extensions["complaints.config"]
    return value


def login_policy() -> LoginPolicy:
    value: LoginPolicy = current_app.extensions["complaints.login_policy"]
    return value


def personal_data_cipher() -> PersonalDataCipher:
    value: PersonalDataCipher = current_app.extensions["complaints.cipher"]
    return value
