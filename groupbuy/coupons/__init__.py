"""Coupons: templates, the coupon centre and wallet, validation and pro-rata spreading at checkout, locking,
consumption on payment and release."""
