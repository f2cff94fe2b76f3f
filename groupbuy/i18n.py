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
    # field errors (422 `errors`): text every string input must pass (groupbuy/common/text.py)
    "text_control_characters": (
        "不能包含控制字符、方向控制符或无效字符",
        "Must not contain control characters, bidirectional controls or invalid characters.",
    ),
    "text_line_breaks": ("不能包含换行符或制表符", "Must not contain line breaks or tabs."),
    "text_blank": ("不能只包含空白", "Must not be blank."),
    "date_out_of_range": (
        "日期须在 {min_year} 年至 {max_year} 年之间",
        "Dates must lie between {min_year} and {max_year}.",
    ),
    "json_too_deep": ("JSON 嵌套层数过多", "The JSON body is nested too deeply."),
    "json_number_too_large": ("JSON 中的数字过长", "A number in the JSON body is too long."),
    "json_invalid": ("JSON 格式错误", "Invalid JSON body."),
    # accounts
    "invalid_credentials": ("账号或密码错误", "Wrong login or password"),
    "account_locked": (
        "登录失败次数过多，账号已锁定，请稍后再试或用验证码解锁",
        "Too many failed logins; the account is locked. Wait or unlock it with a code",
    ),
    "account_suspended": ("账号已被停用", "This account is suspended"),
    "outranked": ("不能对自己或同级及以上的账号执行此操作", "You cannot act on yourself or on an equal or higher rank"),
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
    "account_has_open_orders": (
        "您还有未完成的订单，请在订单完成或取消后再注销账号",
        "You still have open orders; close the account once they are completed or cancelled",
    ),
    "leader_must_hand_over": (
        "您是团长，请先移交自提点并完成其订单后再注销账号",
        "You run a pickup point: hand it over and finish its orders before closing the account",
    ),
    # catalog
    "category_name_taken": ("分类名称已存在", "A category with this name already exists"),
    "category_in_use": ("该分类下还有商品，不能删除", "The category still holds products"),
    "duplicate_listing": ("同一供应商 2 小时内已发布过同名商品", "This supplier listed it within 2 hours"),
    "duplicate_sku": ("该商品已有相同规格", "The product already has this spec"),
    "product_held": ("商品待审核，请先审核通过", "The product is held for review; approve it first"),
    "product_not_held": ("商品不在待审核状态", "The product is not held for review"),
    "product_not_active": ("商品未上架，不能开团", "The product is not active"),
    "insufficient_stock": ("库存不足", "Not enough stock"),
    "deal_has_sales": ("活动已有销量，不能取消", "The deal has sold units and cannot be cancelled"),
    "deal_cancelled": ("活动已取消", "The deal is cancelled"),
    "stock_release_exceeds_allocation": ("归还库存超过活动分配量", "Releasing more units than the deal allocated"),
    # leaders
    "application_pending": ("您已有一份待审核的团长申请", "You already have a pending leader application"),
    "already_leader": ("您已经是团长了", "You are already a group leader"),
    "application_not_pending": ("该申请已处理过", "This application has already been decided"),
    "leader_suspended": ("团长资格已被暂停", "This leader account is suspended"),
    "leader_not_active": ("该团长当前不是营业状态", "This leader is not active"),
    "leader_not_suspended": ("该团长未被暂停", "This leader is not suspended"),
    "leader_paused": ("团长暂停接单中，请稍后再来或选择其他团长", "This leader is not taking orders right now"),
    "out_of_delivery_range": ("该地址超出团长的配送范围", "The address is outside the leader's delivery range"),
    "address_not_located": (
        "该地址没有定位，无法确认是否在配送范围内，请重新选择地址位置",
        "The address has no location, so the delivery range cannot be checked; set its location",
    ),
    # the leader's desk
    "order_not_paid": ("订单尚未支付，不能确认", "The order is not paid yet"),
    "group_not_succeeded": ("该订单所在的团未成团，不能确认", "The order's group has not succeeded"),
    "use_after_sale": (
        "团长已确认订单，不能取消，如有问题请申请售后",
        "The leader has confirmed this order; it cannot be cancelled. Ask for after-sale help instead",
    ),
    # orders, cart, groups, idempotency
    "idempotency_key_required": ("缺少 Idempotency-Key 请求头", "The Idempotency-Key header is required"),
    "idempotency_key_reused": ("该幂等键已用于另一个请求", "This Idempotency-Key was used for a different request"),
    "idempotency_key_in_flight": ("相同请求正在处理中，请稍后", "The same request is still being processed"),
    "illegal_transition": ("订单当前状态不允许此操作", "The order's current status does not allow this"),
    "cutoff_passed": ("已过截单时间，不能取消", "The cutoff has passed; the order can no longer be cancelled"),
    "deal_sold_out": ("商品已抢光", "This deal is sold out"),
    "limit_exceeded": ("超出每人限购数量", "Over the per-person limit"),
    "group_closed": ("该团已截单", "This group has closed"),
    "deal_closed": ("该团购不在售卖时间内", "This deal is not on sale now"),
    "leader_required": ("请先选择团长（自提点）", "Choose a leader (pickup point) first"),
    "delivery_unavailable": ("该团长不提供送货上门", "This leader does not offer home delivery"),
    "payable_over_limit": ("订单金额超过单笔上限", "The order is over the per-order amount limit"),
    "empty_order": ("订单中没有商品", "Nothing to order"),
    "amount_mismatch": ("支付金额与订单金额不符", "The paid amount does not match the order"),
    "pickup_code_exhausted": ("提货码生成失败，请重试", "Could not issue a pickup code; retry"),
    "order_no_exhausted": ("订单号生成失败，请重试", "Could not number the order; retry"),
    "cart_quantity_exceeded": ("单个商品最多 99 件", "At most 99 of one deal"),
    # payments
    "order_not_payable": ("订单已关闭或已过支付时间，不能支付", "The order can no longer be paid"),
    "payment_channel_unavailable": ("该支付方式暂不可用", "This payment channel is not available"),
    "wechat_login_required": ("请先用微信小程序登录", "Log in with the WeChat mini-app first"),
    "payment_provider_unavailable": ("支付服务繁忙，请稍后重试", "The payment provider is busy; retry shortly"),
    "payment_provider_refused": ("支付机构拒绝了该笔支付", "The payment provider refused this payment"),
    "payment_in_progress": ("支付正在创建中，请稍后重试", "A payment is being created; retry shortly"),
    "nothing_to_refund": ("该订单没有可退的支付", "This order has no payment to refund"),
    "refund_exceeds_paid": ("退款金额超过已支付金额", "Refunds would exceed the amount paid"),
    "refund_exceeds_line": ("退款数量超过该商品剩余未退数量", "More units than are left on that line"),
    "order_not_refundable": ("订单当前状态不能退款", "The order cannot be refunded in its current status"),
    # goods moving: dispatch, arrival, pickup, home delivery
    "arrival_already_recorded": ("该提货日的到货已登记", "The arrival for this pickup date is already recorded"),
    "nothing_shipped": ("该提货日没有已发货的订单", "Nothing was shipped to you for this pickup date"),
    "pickup_code_not_found": ("提货码不存在", "No such pickup code"),
    "pickup_code_throttled": ("提货码错误次数过多，请稍后再试", "Too many wrong pickup codes; try again later"),
    "already_picked_up": ("该订单已提货", "This order was already picked up"),
    "not_ready_for_pickup": ("该订单的商品尚未到达，不能提货", "This order's goods have not arrived yet"),
    "not_a_delivery_order": ("该订单不是送货上门订单", "This order is not for home delivery"),
    "order_changed": ("订单刚刚发生了变化，请重试", "The order changed meanwhile, please retry"),
    "payment_not_refundable": ("该笔支付未完成或待人工处理，不能退款", "This payment cannot be refunded"),
    "refund_amount_invalid": ("退款金额必须为正整数（分）", "The refund amount must be a positive number of fen"),
    # membership: member prices, fast refund
    "member_price_invalid": (
        "会员价必须低于拼团价，且不低于平台底价",
        "A member price must be below the group price and not under the platform's floor",
    ),
    # after-sale requests and disputes (groupbuy/aftersales)
    "refund_exceeds_refundable": ("退款金额超过该商品仍可退的金额", "More than is still refundable on those lines"),
    "order_not_received": ("订单尚未收货，不能申请售后", "After-sale help is for orders already received"),
    "after_sale_window_closed": ("已超过售后申请期限", "The after-sale window for this item has closed"),
    "after_sale_already_open": ("该订单已有处理中的售后申请", "This order already has an open after-sale request"),
    "after_sale_state_changed": ("售后申请状态已变化，请刷新", "The after-sale request changed meanwhile"),
    "after_sale_answer_overdue": ("已超过团长处理时限，已转平台客服", "The time to answer has passed; CS handles it"),
    "after_sale_not_rejected": ("只有被团长拒绝的售后申请才能申请平台介入", "Only a rejected request can be escalated"),
    "dispute_already_resolved": ("该纠纷已处理", "This dispute was already resolved"),
    # messaging
    "cannot_message_yourself": ("不能给自己的自提点发消息", "You cannot message your own pickup point"),
    # uploads (groupbuy/uploads)
    "upload_not_an_image": ("只能上传 JPEG、PNG 或 WebP 图片", "Only JPEG, PNG or WebP images can be uploaded"),
    "upload_dimensions": ("图片尺寸不符合要求", "The image's dimensions are not accepted"),
    "upload_unreadable": ("图片文件已损坏或无法读取", "The image file is damaged or unreadable"),
    "upload_not_attachable": ("图片不存在或不可使用", "An image is unknown or cannot be used"),
    "storage_unavailable": ("文件存储暂不可用，请稍后再试", "File storage is unavailable, try again shortly"),
    # coupons: the coupon centre and checkout
    "coupon_not_found": ("优惠券不存在", "No such coupon"),
    "coupon_unavailable": ("该优惠券已被使用或正被其他订单占用", "This coupon is used or held by another order"),
    "coupon_not_started": ("该优惠券尚未到使用时间", "This coupon cannot be used yet"),
    "coupon_expired": ("该优惠券已过期", "This coupon has expired"),
    "coupon_tier_not_allowed": ("您的会员等级不能使用该优惠券", "Your membership tier cannot use this coupon"),
    "coupon_new_leader_only": (
        "新团长券仅限在该团长处的首单使用",
        "A new-leader coupon is for a first order with a leader",
    ),
    "coupon_out_of_scope": ("订单中没有该优惠券适用的商品", "Nothing in this order is covered by the coupon"),
    "coupon_min_spend_not_met": ("未达到该优惠券的使用门槛", "The order does not reach the coupon's minimum spend"),
    "coupon_not_claimable": ("该优惠券已停止领取", "This coupon can no longer be claimed"),
    "coupon_claimed_out": ("该优惠券已被领完", "This coupon has all been claimed"),
    "coupon_claim_limit": ("您已领过该优惠券", "You have claimed as many of this coupon as allowed"),
    "coupon_monthly_allowance_used": ("本月领券额度已用完", "This month's coupon allowance is used up"),
    # reviews (groupbuy/reviews)
    "review_order_not_completed": ("订单完成后才能评价", "Orders can be reviewed once they are completed"),
    "review_exists": ("该商品已评价过", "This line has been reviewed already"),
    "leader_already_rated": ("该订单已评价过团长", "The leader has been rated for this order already"),
    "follow_up_exists": ("每条评价只能追评一次", "A review can be followed up once"),
    "follow_up_too_late": ("已超过 {days} 天追评期限", "Follow-ups close {days} days after the review"),
    "review_hidden": ("该评价已被隐藏", "This review has been hidden"),
    "review_already_hidden": ("该评价已隐藏", "This review is hidden already"),
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
