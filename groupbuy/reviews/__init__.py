"""Reviews after receipt: line reviews with photos, one follow-up, leader ratings over six months, the credit
events they give, CS moderation; the standing figures that search ranks by."""
