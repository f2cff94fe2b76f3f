"""Accounts use cases: codes, registration, login, tokens, profile, addresses, roles."""

from groupbuy.accounts.service.addresses import create_address, delete_address, list_addresses, update_address
from groupbuy.accounts.service.codes import request_verification_code
from groupbuy.accounts.service.sessions import (
    Caller,
    identify_caller,
    login_with_code,
    login_with_password,
    login_with_wechat,
    logout,
    register_user,
    reset_password,
    unlock_account,
)
from groupbuy.accounts.service.users import (
    create_user,
    get_user,
    get_user_if_any,
    grant_role,
    reinstate_user,
    suspend_user,
    update_profile,
)

__all__ = [
    "Caller",
    "create_address",
    "create_user",
    "delete_address",
    "get_user",
    "get_user_if_any",
    "grant_role",
    "identify_caller",
    "list_addresses",
    "login_with_code",
    "login_with_password",
    "login_with_wechat",
    "logout",
    "register_user",
    "reinstate_user",
    "request_verification_code",
    "reset_password",
    "suspend_user",
    "unlock_account",
    "update_address",
    "update_profile",
]
