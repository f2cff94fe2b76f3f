"""Per-field error messages in the caller's language.

Field messages are written in English where they are raised (marshmallow's built-in ones, our validators,
our services). This catalog gives each its Simplified Chinese wording; ``localize_field_errors`` renders a
whole ``errors`` object (nested for lists and nested schemas) in the language of the request, once, when the
problem+json answer is built. English is the source, so an English caller gets the messages as raised.

A message template's ``{name}`` parts stand for values (a length, a list of choices, an id) and are carried
over into the translation. ``tests/ops/test_field_messages.py`` fails for any message raised in the code
that this catalog does not cover: add the Chinese wording here when you add a message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from groupbuy.i18n import current_language

# English template -> zh template.
CATALOG: dict[str, str] = {
    # marshmallow: schema and fields
    "Missing data for required field.": "此项必填",
    "Unknown field.": "不支持该字段",
    "Field may not be null.": "不能为 null",
    "Invalid input type.": "输入的类型不正确",
    "Invalid type.": "类型不正确",
    "Invalid value.": "取值无效",
    "Invalid input.": "输入无效",
    "Not a valid integer.": "须为整数",
    "Not a valid number.": "须为数字",
    "Number too large.": "数值过大",
    "Special numeric values (nan or infinity) are not permitted.": "不接受 NaN 或无穷大",
    "Not a valid string.": "须为字符串",
    "Not a valid utf-8 string.": "须为 UTF-8 字符串",
    "Not a valid boolean.": "须为 true 或 false",
    "Not a valid list.": "须为列表",
    "Not a valid tuple.": "须为列表",
    "Not a valid mapping type.": "须为对象",
    "Not a valid URL.": "网址格式不正确",
    "Not a valid email address.": "邮箱地址格式不正确",
    "Not a valid UUID.": "UUID 格式不正确",
    "Not a valid date.": "日期格式不正确（如 2026-11-22）",
    "Not a valid datetime.": "时间格式不正确（ISO 8601，带时区）",
    "Not a valid aware datetime.": "时间须带时区（如 2026-11-22T10:00:00+08:00）",
    "Not a valid naive datetime.": "时间不能带时区",
    "Not a valid period of time.": "时长格式不正确",
    # marshmallow: validators
    "String does not match expected pattern.": "格式不正确",
    "Longer than maximum length {max}.": "长度不能超过 {max}",
    "Shorter than minimum length {min}.": "长度不能少于 {min}",
    "Length must be between {min} and {max}.": "长度须在 {min} 到 {max} 之间",
    "Length must be {equal}.": "长度须为 {equal}",
    "Must be greater than or equal to {min} and less than or equal to {max}.": "须在 {min} 到 {max} 之间",
    "Must be greater than {min} and less than or equal to {max}.": "须大于 {min} 且不超过 {max}",
    "Must be greater than or equal to {min} and less than {max}.": "须不小于 {min} 且小于 {max}",
    "Must be greater than {min} and less than {max}.": "须大于 {min} 且小于 {max}",
    "Must be greater than or equal to {min}.": "须不小于 {min}",
    "Must be greater than {min}.": "须大于 {min}",
    "Must be less than or equal to {max}.": "须不超过 {max}",
    "Must be less than {max}.": "须小于 {max}",
    "Must be one of: {choices}.": "须为以下之一：{choices}",
    "Must be equal to {other}.": "须等于 {other}",
    "One or more of the choices you made was not in: {choices}.": "有选项不在可选范围内：{choices}",
    "One or more of the choices you made was in: {values}.": "有选项不可选：{values}",
    # webargs
    "Invalid JSON body.": "请求体不是有效的 JSON",
    # groupbuy: schemas and validators
    "Must not be blank.": "不能为空白",
    "Not a valid mainland mobile number.": "须为中国大陆手机号",
    "Not a valid e-mail address.": "邮箱地址格式不正确",
    "Give exactly one of phone or email.": "手机号和邮箱须填且只填一个",
    "Give exactly one of password or code.": "密码和验证码须填且只填一个",
    "Give items, or from_cart: true (not both).": "请提供 items 或 from_cart: true（二者只选其一）",
    "No such coupon.": "优惠券不存在",
    "Must be {min}-{max} characters.": "长度须为 {min}-{max} 个字符",
    "Must not contain spaces.": "不能包含空格",
    "Must mix at least two of: upper case, lower case, digits, punctuation.": (
        "须至少包含大写字母、小写字母、数字、标点中的两类"
    ),
    "Too common; choose another.": "过于常见，请换一个",
    "Must be between {min} and {max}.": "须在 {min} 到 {max} 之间",
    "Each deal may appear once.": "每个团购只能出现一次",
    # groupbuy: services
    "required": "必填",
    "at most {max} characters": "最多 {max} 个字符",
    "used with a different request": "已用于另一个请求",
    "no such category": "分类不存在",
    "no such SKU": "规格不存在",
    "the product is not active": "商品未上架",
    "must be after starts_at": "须晚于开始时间",
    "must be in the future": "须为将来的时间",
    "must not be before the cutoff's date (Asia/Shanghai)": "不能早于截单当天（北京时间）",
    "deal {deal}: quantity must be 1-99": "团购 {deal}：数量须为 1-99",
    "deal {deal} does not exist": "团购 {deal} 不存在",
    "required for home delivery": "送货上门时必填",
    "required when offering home delivery": "提供送货上门时必填",
    "'to' must not be before 'from'": "结束日期不能早于开始日期",
    "at most {days} days": "最多 {days} 天",
    "choose a leader (pickup point) first": "请先选择团长（自提点）",
    "nothing to order": "订单中没有商品",
    "at most {max} per line": "每件商品最多 {max} 份",
    "wechat_jsapi needs a WeChat mini-app login": "小程序支付需要先用微信小程序登录",
    "{channel} is not available": "{channel} 暂不可用",
    "give a phone or an e-mail": "请填写手机号或邮箱",
    "invalid or expired": "错误或已失效",
    "too many wrong tries": "错误次数过多",
    "choose another default address instead": "请先把另一个地址设为默认",
    "line {line}: not a line of order {order} or quantity < 1": "第 {line} 行：不是订单 {order} 的商品行，或数量小于 1",
    "Deal {deal}: nothing of it was shipped to you for this pickup date.": "团购 {deal}：该提货日没有发给您的货",
    "Deal {deal}: {received} received is more than the {shipped} units shipped.": (
        "团购 {deal}：收到 {received} 件，多于已发货的 {shipped} 件"
    ),
    # customer service
    "date_from is after date_to.": "起始日期晚于结束日期",
    # groupbuy: messaging
    "not the leader of this order": "不是该订单的团长",
    "only for a conversation with a leader": "仅用于与团长的会话",
    "this is your own pickup point": "这是您自己的自提点",
    # uploads (groupbuy/uploads)
    "The image is too small.": "图片尺寸太小",
    "The image has too many pixels.": "图片尺寸太大",
    "The file is not a readable image.": "文件不是可读取的图片",
    "Unknown upload.": "图片不存在或已过期，请重新上传",
    "At most {limit} images.": "最多 {limit} 张图片",
    # coupons (groupbuy/coupons/service/templates.py)
    "required for amount_off": "满减券必填",
    "only for amount_off": "仅满减券可填",
    "required for percent_off": "折扣券必填",
    "only for percent_off": "仅折扣券可填",
    "required for percent_off (the cap)": "折扣券必填（优惠上限）",
    "required for scope category, and only there": "适用范围为品类时必填，其他范围不可填",
    "required for scope deal, and only there": "适用范围为单个团购时必填，其他范围不可填",
    "no such deal": "团购不存在",
    "must be after valid_from": "必须晚于生效时间",
    "{claimed} are already claimed": "已被领取 {claimed} 张",
    # after-sale requests and disputes
    "line {line}: not a line of order {order}, or fen < 1": "第 {line} 行：不是订单 {order} 的商品行，或金额小于 1 分",
    "not a line of this order": "不是该订单的商品行",
    "each line once": "每个商品行只能出现一次",
    "give the quantity returned": "请填写退货数量",
    "must be {units} fen (the price of the units given back)": "须为 {units} 分（退回商品的价格）",
    "at least {units} fen (the price of the units given back)": "至少 {units} 分（退回商品的价格）",
    "at most {max} fen": "最多 {max} 分",
    "must be more than 0 for a refund": "退款时金额须大于 0",
    "must be 0 without a refund": "不退款时金额须为 0",
    "no more than {limit} photos": "最多 {limit} 张图片",
    # membership: member prices (groupbuy/catalog/service/member_prices.py)
    "{tier}: given twice": "{tier}：重复填写",
    "{tier}: must be below the group price {price}": "{tier}：须低于拼团价 {price} 分",
    "{tier}: must be at least {floor} (the group price less the maximum discount)": (
        "{tier}：不能低于 {floor} 分（拼团价减去最大折扣）"
    ),
}

_FREE_TEXT = {"choices", "values"}  # lists of words; every other placeholder is one token (a number, an id)


def _compile(template: str) -> re.Pattern[str]:
    pattern, position = "", 0
    for match in re.finditer(r"\{(\w+)\}", template):
        pattern += re.escape(template[position : match.start()])
        name = match.group(1)
        pattern += f"(?P<{name}>.+)" if name in _FREE_TEXT else f"(?P<{name}>\\S+)"
        position = match.end()
    return re.compile(pattern + re.escape(template[position:]))


_EXACT = {en: zh for en, zh in CATALOG.items() if "{" not in en}
_PATTERNS = [(_compile(en), zh) for en, zh in CATALOG.items() if "{" in en]


def translate(message: str, language: str) -> str:
    """One message in ``language`` ("zh" or "en"); a message the catalog does not know stays as raised."""
    if language == "en":
        return message
    if message in _EXACT:
        return _EXACT[message]
    for pattern, zh in _PATTERNS:
        match = pattern.fullmatch(message)
        if match:
            return zh.format(**match.groupdict())
    return message


def is_known(message: str) -> bool:
    return message in _EXACT or any(pattern.fullmatch(message) for pattern, _ in _PATTERNS)


def localize_field_errors(errors: Any, language: str | None = None) -> Any:
    """Every message of an ``errors`` object (dicts and lists, nested) in the caller's language."""
    language = language or current_language()
    if isinstance(errors, str):
        return translate(errors, language)
    if isinstance(errors, Mapping):
        return {key: localize_field_errors(value, language) for key, value in errors.items()}
    if isinstance(errors, list | tuple):
        return [localize_field_errors(item, language) for item in errors]
    return errors
