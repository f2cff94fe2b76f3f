"""factory-boy base: objects are saved through db.transaction(), the project's one commit site."""

from __future__ import annotations

from typing import Any

import factory

from groupbuy.db import db, transaction


class ModelFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731 - factory-boy wants a callable

    @classmethod
    def _create(cls, model_class: type, *args: Any, **kwargs: Any) -> Any:
        obj = model_class(*args, **kwargs)
        with transaction():
            db.session.add(obj)
        return obj
