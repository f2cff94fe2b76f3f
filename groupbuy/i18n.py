"""User-facing messages: Simplified Chinese by default, English on Accept-Language."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request

# code -> (zh, en). Params are str.format()-ed in.
CATALOG: dict[str, tuple[str, str]] = {
    "bad_request": ("请求无法处理", "The request could not be processed"),
    "unauthorized": ("请先登录", "Authentication required"),
    "forbidden": ("没有权限执行此操作", "You are not allowed to do this"),
    "not_found": ("未找到", "Not found"),
    "method_not_allowed": ("不支持该请求方法", "Method not allowed"),
    "conflict": ("操作与当前状态冲突", "The request conflicts with the current state"),
    "payload_too_large": ("请求内容过大", "Request body too large"),
    "unsupported_media_type": ("不支持的内容类型", "Unsupported media type"),
    "validation_failed": ("提交的内容有误", "Some fields are invalid"),
    "precondition_required": ("缺少前置条件", "Precondition required"),
    "rate_limited": ("操作太频繁，请稍后再试", "Too many requests, try again later"),
    "internal_error": ("服务器开小差了，请稍后再试", "Something went wrong on our side"),
    "service_unavailable": ("服务暂不可用，请稍后再试", "Service unavailable, try again shortly"),
    "database_busy": ("系统繁忙，请稍后重试", "The system is busy, please retry"),
    "database_unavailable": ("系统维护中，请稍后重试", "The database is unavailable, please retry"),
    "http_error": ("请求出错", "Request error"),
    # accounts
    "invalid_credentials": ("账号或密码错误", "Wrong login or password"),
    "account_locked": (
        "登录失败次数过多，账号已锁定，请稍后再试或用验证码解锁",
        "Too many failed logins; the account is locked. Wait or unlock it with a code",
    ),
    "account_suspended": ("账号已被停用", "This account is suspended"),
    "code_resend_too_soon": ("请勿重复点击，{seconds} 秒后可再次获取", "Please wait {seconds} s before asking again"),
    "code_daily_cap": ("今日获取验证码次数已达上限", "Daily verification code limit reached"),
    "invalid_code": ("验证码错误或已失效", "The verification code is wrong or no longer valid"),
    "code_attempts_exceeded": ("验证码错误次数过多，请重新获取", "Too many wrong tries; request a new code"),
    "weak_password": ("密码不符合要求", "The password does not meet the policy"),
    "phone_taken": ("该手机号已注册", "This phone number is already registered"),
    "email_taken": ("该邮箱已注册", "This e-mail is already registered"),
    "unknown_account": ("账号不存在", "No such account"),
    "invalid_wechat_code": ("微信登录凭证无效，请重新登录", "The WeChat login code is invalid"),
    "wechat_unavailable": ("微信服务繁忙，请稍后重试", "WeChat is busy, please retry"),
    "address_limit": ("最多保存 {limit} 个地址", "At most {limit} addresses"),
    "channel_unavailable": ("暂时无法发送验证码", "The code could not be sent right now"),
}

LANGUAGES = ("zh", "en")


def current_language() -> str:
    """zh unless the client prefers English."""
    if not has_request_context():
        return "zh"
    best = request.accept_languages.best_match(["zh-CN", "zh", "en", "en-US"], default="zh")
    return "en" if best.startswith("en") else "zh"


def title_for(code: str, status: int = 400, **params: Any) -> str:
    """The localized title of an error code; unknown codes fall back to the HTTP family."""
    pair = CATALOG.get(code) or CATALOG.get(_family(status)) or CATALOG["http_error"]
    text = pair[LANGUAGES.index(current_language())]
    try:
        return text.format(**params)
    except (KeyError, IndexError):
        return text


def localized(text: str | tuple[str, str]) -> str:
    """A (zh, en) pair or a plain string, in the client's language."""
    if isinstance(text, tuple):
        return text[LANGUAGES.index(current_language())]
    return text


def _family(status: int) -> str:
    return {
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        409: "conflict",
        422: "validation_failed",
        429: "rate_limited",
        503: "service_unavailable",
    }.get(status, "bad_request" if status < 500 else "internal_error")
