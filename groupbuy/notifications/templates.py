"""Message texts per template (Chinese: they go to phones and mailboxes in China)."""

from __future__ import annotations

from typing import Any

TEMPLATES: dict[str, tuple[str, str]] = {
    "verification_code": (
        "【团购】验证码",
        "您的验证码是 {code}，{minutes} 分钟内有效，用于{purpose_text}。请勿告诉他人。",
    ),
}

PURPOSE_TEXT = {"register": "注册", "login": "登录", "reset_password": "重置密码", "unlock": "解锁账号"}


def render(template: str, payload: dict[str, Any]) -> tuple[str, str]:
    """(subject, body) for a template."""
    subject, body = TEMPLATES[template]
    values = dict(payload)
    if "purpose" in values:
        values["purpose_text"] = PURPOSE_TEXT.get(values["purpose"], values["purpose"])
    return subject, body.format(**values)
