"""Request (load) and response (dump) schemas for accounts, split by direction."""

from __future__ import annotations

import re
from typing import Any, ClassVar

import marshmallow as ma
from marshmallow import validate, validates_schema

from groupbuy.accounts.enums import CodeChannel, CodePurpose, Role, Tier, UserStatus
from groupbuy.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from groupbuy.common.fields import (
    MAINLAND_MOBILE,
    MaskedPhone,
    Phone,
    StrictBoolean,
    Text,
    TextField,
    UtcDateTime,
    mask_email,
)


def password_field(**kwargs: Any) -> ma.fields.String:
    """A write-only password field (policy is checked by the service, with per-rule messages)."""
    return TextField(validate=validate.Length(min=1, max=128), load_only=True, **kwargs)


def new_password_field(**kwargs: Any) -> ma.fields.String:
    """A password being set: the service checks the policy (422 weak_password, one message per rule);
    the OpenAPI document carries the parts a schema can say."""
    rules = {
        "minLength": MIN_LENGTH,
        "maxLength": MAX_LENGTH,
        "pattern": r"^\S+$",
        "description": f"{MIN_LENGTH}-{MAX_LENGTH} characters, no spaces, at least two of: upper case, lower case, "
        "digits, punctuation; not a common password",
    }
    return ma.fields.String(load_only=True, metadata=rules, **kwargs)


_EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$"  # the same in Python and ECMA 262
_EMAIL = re.compile(_EMAIL_PATTERN)
_SMS_TARGET_PATTERN = r"^ *(\+86)?1[3-9][0-9]{9} *$"


def _is_email(value: str) -> bool:
    return bool(_EMAIL.match(value))


class VerificationCodeRequestSchema(ma.Schema):
    OPENAPI_RULES: ClassVar[dict[str, Any]] = {  # _target_matches_channel
        "oneOf": [
            {"properties": {"channel": {"enum": ["sms"]}, "target": {"pattern": _SMS_TARGET_PATTERN}}},
            {"properties": {"channel": {"enum": ["email"]}, "target": {"pattern": _EMAIL_PATTERN}}},
        ]
    }

    channel = ma.fields.Enum(CodeChannel, by_value=True, required=True)
    target = TextField(required=True, validate=validate.Length(min=3, max=254))
    purpose = ma.fields.Enum(CodePurpose, by_value=True, required=True)

    @validates_schema
    def _target_matches_channel(self, data: dict[str, Any], **_: Any) -> None:
        target = data["target"].strip()
        if data["channel"] is CodeChannel.SMS and not MAINLAND_MOBILE.match(target.removeprefix("+86")):
            raise ma.ValidationError("Not a valid mainland mobile number.", "target")
        if data["channel"] is CodeChannel.EMAIL and not _is_email(target):
            raise ma.ValidationError("Not a valid e-mail address.", "target")


class VerificationCodeSentSchema(ma.Schema):
    expires_in = ma.fields.Integer(required=True, metadata={"description": "seconds the code stays valid"})
    resend_after = ma.fields.Integer(required=True, metadata={"description": "seconds before asking again"})


class RegisterSchema(ma.Schema):
    OPENAPI_RULES: ClassVar[dict[str, Any]] = {"oneOf": [{"required": ["phone"]}, {"required": ["email"]}]}

    phone = Phone()
    email = ma.fields.Email(validate=validate.Length(max=254))
    password = new_password_field(required=True)
    code = ma.fields.String(required=True, validate=validate.Regexp(r"^[0-9]{6}$"), load_only=True)
    nickname = Text(40)

    @validates_schema
    def _one_target(self, data: dict[str, Any], **_: Any) -> None:
        if bool(data.get("phone")) == bool(data.get("email")):
            raise ma.ValidationError("Give exactly one of phone or email.", "phone")


class LoginSchema(ma.Schema):
    OPENAPI_RULES: ClassVar[dict[str, Any]] = {"oneOf": [{"required": ["password"]}, {"required": ["code"]}]}

    login = TextField(
        required=True, validate=validate.Length(min=3, max=254), metadata={"description": "phone or e-mail"}
    )
    password = password_field()
    code = ma.fields.String(
        validate=validate.Regexp(r"^[0-9]{6}$"),
        load_only=True,
        metadata={"description": "a login code instead of the password"},
    )

    @validates_schema
    def _password_or_code(self, data: dict[str, Any], **_: Any) -> None:
        if bool(data.get("password")) == bool(data.get("code")):
            raise ma.ValidationError("Give exactly one of password or code.", "password")


class WeChatLoginSchema(ma.Schema):
    code = TextField(required=True, validate=validate.Length(min=1, max=128), load_only=True)


class PasswordResetSchema(ma.Schema):
    target = TextField(required=True, validate=validate.Length(min=3, max=254))
    code = ma.fields.String(required=True, validate=validate.Regexp(r"^[0-9]{6}$"), load_only=True)
    new_password = new_password_field(required=True)


class UnlockSchema(ma.Schema):
    target = TextField(required=True, validate=validate.Length(min=3, max=254))
    code = ma.fields.String(required=True, validate=validate.Regexp(r"^[0-9]{6}$"), load_only=True)


class MaskedEmail(ma.fields.String):
    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else mask_email(str(value))


class UserSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    nickname = ma.fields.String(required=True)
    avatar_url = ma.fields.String(allow_none=True)
    phone = MaskedPhone(allow_none=True, metadata={"description": "masked, e.g. 138****1234"})
    email = MaskedEmail(allow_none=True, metadata={"description": "masked"})
    roles = ma.fields.Method("_roles", required=True)
    status = ma.fields.Enum(UserStatus, by_value=True, required=True)
    tier = ma.fields.Enum(Tier, by_value=True, required=True)
    current_leader_id = ma.fields.Integer(allow_none=True, dump_only=True, metadata={"description": "my leader"})
    created_at = UtcDateTime(required=True)

    def _roles(self, user: Any) -> list[str]:
        return sorted(r.value for r in user.role_names)


class SessionSchema(ma.Schema):
    token = ma.fields.String(required=True)
    expires_at = UtcDateTime(required=True)
    user = ma.fields.Nested(UserSchema, required=True)
    is_new = ma.fields.Boolean(required=True)


class ProfileUpdateSchema(ma.Schema):
    nickname = Text(40)
    avatar_url = ma.fields.URL(schemes={"https", "http"}, validate=validate.Length(max=500))


class AddressCreateSchema(ma.Schema):
    recipient = Text(40, required=True)
    phone = Phone(required=True)
    province = Text(40, required=True)
    city = Text(40, required=True)
    district = Text(40, required=True)
    detail = Text(200, required=True)
    lat = ma.fields.Float(allow_none=True, validate=validate.Range(min=-90, max=90), allow_nan=False)
    lng = ma.fields.Float(allow_none=True, validate=validate.Range(min=-180, max=180), allow_nan=False)
    is_default = StrictBoolean(load_default=False)


class AddressUpdateSchema(AddressCreateSchema):
    """Every field optional: routes load it with ``partial=True``."""

    is_default = StrictBoolean()


class AddressSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    recipient = ma.fields.String(required=True)
    phone = MaskedPhone(required=True)
    province = ma.fields.String(required=True)
    city = ma.fields.String(required=True)
    district = ma.fields.String(required=True)
    detail = ma.fields.String(required=True)
    lat = ma.fields.Float(allow_none=True)
    lng = ma.fields.Float(allow_none=True)
    is_default = ma.fields.Boolean(required=True)
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)


class AddressListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(AddressSchema), required=True)


class SuspensionSchema(ma.Schema):
    reason = Text(500, required=True)


class RoleSchema(ma.Schema):
    role = ma.fields.Enum(Role, by_value=True, required=True)


def normalize_target(target: str) -> str:
    """Phones lose +86 and separators; e-mails are lower-cased."""
    text = target.strip()
    if "@" in text:
        return text.lower()
    digits = text.replace(" ", "").replace("-", "")
    return digits.removeprefix("+86")
