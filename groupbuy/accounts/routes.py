"""HTTP doors for accounts: auth, profile, address book, staff actions on users."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView

from groupbuy import clock
from groupbuy.accounts import service
from groupbuy.accounts.auth import SIGNED_IN, bearer_token, current_user, current_user_id, require_roles
from groupbuy.accounts.enums import Role
from groupbuy.accounts.models import Address, User
from groupbuy.accounts.schemas import (
    AddressCreateSchema,
    AddressListSchema,
    AddressSchema,
    AddressUpdateSchema,
    LoginSchema,
    PasswordResetSchema,
    ProfileUpdateSchema,
    RegisterSchema,
    SessionSchema,
    SuspensionSchema,
    UnlockSchema,
    UserSchema,
    VerificationCodeRequestSchema,
    VerificationCodeSentSchema,
    WeChatLoginSchema,
    normalize_target,
)
from groupbuy.accounts.service.sessions import IssuedToken
from groupbuy.common.input import Blueprint
from groupbuy.extensions import limiter
from groupbuy.settings import settings

blp = Blueprint("accounts", __name__, url_prefix="/api/v1", description="Accounts, sessions and addresses")


def auth_limit() -> str:
    """Per-IP throttle on every credential-taking endpoint (GROUPBUY_AUTH_RATE_LIMIT)."""
    return settings().auth_rate_limit


def client_ip() -> str:
    return request.remote_addr or "unknown"


@blp.route("/auth/verification-codes")
class VerificationCodes(MethodView):
    @limiter.limit(auth_limit)
    @blp.arguments(VerificationCodeRequestSchema())
    @blp.response(202, VerificationCodeSentSchema)
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    def post(self, data: dict[str, Any]) -> dict[str, int]:
        """Send a 6-digit code by SMS or e-mail (429 if asked again within 60 s)."""
        ttl = service.request_verification_code(
            channel=data["channel"],
            target=normalize_target(data["target"]),
            purpose=data["purpose"],
            ip=client_ip(),
            now=clock.now(),
        )
        return {"expires_in": ttl, "resend_after": settings().code_resend_seconds}


@blp.route("/auth/register")
class Register(MethodView):
    @limiter.limit(auth_limit)
    @blp.arguments(RegisterSchema())
    @blp.response(201, SessionSchema)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data: dict[str, Any]) -> IssuedToken:
        """Register with a phone or e-mail, a register code and a password."""
        return service.register_user(
            phone=data.get("phone"),
            email=data.get("email"),
            password=data["password"],
            code=data["code"],
            nickname=data.get("nickname"),
            now=clock.now(),
        )


@blp.route("/auth/login")
class Login(MethodView):
    @limiter.limit(auth_limit)
    @blp.arguments(LoginSchema())
    @blp.response(200, SessionSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(423, response="LOCKED")
    def post(self, data: dict[str, Any]) -> IssuedToken:
        """Log in with phone/e-mail and password (or a login code); 423 while locked."""
        login = normalize_target(data["login"])
        if data.get("code"):
            return service.login_with_code(login=login, code=data["code"], now=clock.now())
        return service.login_with_password(login=login, password=data["password"], now=clock.now())


@blp.route("/auth/wechat-login")
class WeChatLogin(MethodView):
    @limiter.limit(auth_limit)
    @blp.arguments(WeChatLoginSchema())
    @blp.response(200, SessionSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def post(self, data: dict[str, Any]) -> IssuedToken:
        """Mini-app login: the wx.login code is exchanged server-side."""
        return service.login_with_wechat(code=data["code"], now=clock.now())


@blp.route("/auth/password-reset")
class PasswordReset(MethodView):
    @limiter.limit(auth_limit)
    @blp.arguments(PasswordResetSchema())
    @blp.response(204)
    def post(self, data: dict[str, Any]) -> None:
        """Set a new password with a reset code; every session is signed out."""
        service.reset_password(
            target=normalize_target(data["target"]),
            code=data["code"],
            new_password=data["new_password"],
            now=clock.now(),
        )


@blp.route("/auth/unlock")
class Unlock(MethodView):
    @limiter.limit(auth_limit)
    @blp.arguments(UnlockSchema())
    @blp.response(204)
    def post(self, data: dict[str, Any]) -> None:
        """Lift a login lock with an unlock code."""
        service.unlock_account(target=normalize_target(data["target"]), code=data["code"], now=clock.now())


@blp.route("/auth/logout")
class Logout(MethodView):
    @require_roles(*SIGNED_IN)
    @blp.response(204)
    def post(self) -> None:
        """Revoke the token used for this request."""
        service.logout(token=bearer_token() or "", now=clock.now())


@blp.route("/me")
class Me(MethodView):
    @require_roles(*SIGNED_IN)
    @blp.response(200, UserSchema)
    def get(self) -> User:
        """My profile, roles and tier."""
        return current_user()

    @require_roles(*SIGNED_IN)
    @blp.arguments(ProfileUpdateSchema())
    @blp.response(200, UserSchema)
    def patch(self, data: dict[str, Any]) -> User:
        """Change my nickname or avatar."""
        return service.update_profile(
            user=current_user(), nickname=data.get("nickname"), avatar_url=data.get("avatar_url"), now=clock.now()
        )


@blp.route("/me/addresses")
class Addresses(MethodView):
    @require_roles(*SIGNED_IN)
    @blp.response(200, AddressListSchema)
    def get(self) -> dict[str, list[Address]]:
        """My address book, default first."""
        return {"items": service.list_addresses(user_id=current_user_id())}

    @require_roles(*SIGNED_IN)
    @blp.arguments(AddressCreateSchema())
    @blp.response(201, AddressSchema)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data: dict[str, Any]) -> Address:
        """Add an address (at most 20); the first becomes the default."""
        is_default = data.pop("is_default", False)
        return service.create_address(user_id=current_user_id(), fields=data, is_default=is_default, now=clock.now())


@blp.route("/me/addresses/<int:address_id>")
class AddressById(MethodView):
    @require_roles(*SIGNED_IN)
    @blp.arguments(AddressUpdateSchema(partial=True))
    @blp.response(200, AddressSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def patch(self, data: dict[str, Any], address_id: int) -> Address:
        """Edit one of my addresses; `is_default: true` moves the default here."""
        return service.update_address(user_id=current_user_id(), address_id=address_id, fields=data, now=clock.now())

    @require_roles(*SIGNED_IN)
    @blp.response(204)
    @blp.alt_response(404, response="NOT_FOUND")
    def delete(self, address_id: int) -> None:
        """Delete one of my addresses; a deleted default passes to the most recent one."""
        service.delete_address(user_id=current_user_id(), address_id=address_id)


@blp.route("/admin/users/<int:user_id>/suspend")
class SuspendUser(MethodView):
    @require_roles(Role.CS, Role.ADMIN)
    @blp.arguments(SuspensionSchema())
    @blp.response(200, UserSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, data: dict[str, Any], user_id: int) -> User:
        """Suspend an account: its tokens stop working on the next request (audited)."""
        return service.suspend_user(user_id=user_id, actor_id=current_user_id(), reason=data["reason"], now=clock.now())


@blp.route("/admin/users/<int:user_id>/reinstate")
class ReinstateUser(MethodView):
    @require_roles(Role.CS, Role.ADMIN)
    @blp.arguments(SuspensionSchema())
    @blp.response(200, UserSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, data: dict[str, Any], user_id: int) -> User:
        """Lift a suspension (audited)."""
        return service.reinstate_user(
            user_id=user_id, actor_id=current_user_id(), reason=data["reason"], now=clock.now()
        )
