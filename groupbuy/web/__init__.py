"""Server-rendered pages: the group share page and the leader workbench.

The top of the house: these modules call the domains' services and read models, and nothing imports them but the
app factory. Templates are in groupbuy/templates/web/; every asset is inline with the response's CSP nonce.
"""
