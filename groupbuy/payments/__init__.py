"""Payments: WeChat Pay, Alipay and the sandbox; the provider layer lives in ``groupbuy.payments.providers``."""
