"""The trailing writes of a unit of work, sent to the database in one round trip.

A chatbot turn ends with four or five writes nobody reads before the turn commits: the
conversation's new state, its ending and the event that records it, the record of a read it made,
the Turn. Written with ``save()`` / ``create()`` each is a round trip and a query compilation; here
they are compiled by Django's own SQL compilers (so field preparation, ``auto_now`` and the SQL are
exactly the ORM's) and, on PostgreSQL, sent as one multi-statement ``execute`` — psycopg's
client-side binding (Django's default cursor) merges the parameters into the text, and each
statement's result is read back with ``nextset()``. Other backends run the statements one by one.

What it is for: inserts and updates by primary key inside the caller's transaction, whose outcome
the caller checks only at the end (``flush``). An update may be guarded (``only_if``): if it
matches no row, ``flush`` raises the given error, so the caller's transaction rolls back whole —
the guarded conditional UPDATE of the house style, sent with the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import connections
from django.db.models import Model
from django.db.models.sql import InsertQuery, UpdateQuery


@dataclass
class _Statement:
    sql: str
    params: tuple
    returns: list[Model] = field(default_factory=list)  # inserts: the objects whose pks come back
    guard: Exception | None = None  # updates with only_if: raised when no row matched


class WriteBatch:
    def __init__(self, using: str = "default"):
        self.using = using
        self._statements: list[_Statement] = []

    def __len__(self) -> int:
        return len(self._statements)

    def insert(self, objs: Sequence[Model]) -> None:
        """INSERT ``objs`` (one model) with every concrete field, as ``bulk_create`` would; their
        primary keys are set at ``flush`` when the database generates them."""
        if not objs:
            return
        model = type(objs[0])
        connection = connections[self.using]
        meta = model._meta
        generated = meta.pk.db_returning and all(obj.pk is None for obj in objs)
        fields = [f for f in meta.concrete_fields if not (generated and f.primary_key)]
        query = InsertQuery(model)
        query.insert_values(fields, objs, raw=False)
        compiler = query.get_compiler(using=self.using)
        if generated:
            compiler.returning_fields = [meta.pk]
        compiled = compiler.as_sql()
        if len(compiled) == 1:
            (sql, params), returns = compiled[0], list(objs) if generated else []
            self._statements.append(_Statement(sql, tuple(params), returns))
        else:  # a backend that returns the keys of one inserted row at a time: a statement per row
            for (sql, params), obj in zip(compiled, objs, strict=True):
                self._statements.append(_Statement(sql, tuple(params), [obj]))
        for obj in objs:
            obj._state.adding, obj._state.db = False, connection.alias

    def update(
        self,
        obj: Model,
        fields: Sequence[str],
        *,
        only_if: dict | None = None,
        or_raise: Exception | None = None,
    ) -> None:
        """UPDATE ``fields`` of ``obj``'s row (``auto_now`` fields are refreshed, as by
        ``save(update_fields=...)``). With ``only_if`` ({field: value}), only a row that still has
        those values is changed, and ``flush`` raises ``or_raise`` if there was none."""
        if (only_if is None) != (or_raise is None):
            raise ValueError("only_if and or_raise go together")
        meta = type(obj)._meta
        values = []
        for name in fields:
            model_field = meta.get_field(name)
            values.append((model_field, None, model_field.pre_save(obj, add=False)))
        query = UpdateQuery(type(obj))
        query.add_update_fields(values)
        query.add_filter("pk", obj.pk)
        for name, value in (only_if or {}).items():
            query.add_filter(name, value)
        sql, params = query.get_compiler(using=self.using).as_sql()
        self._statements.append(_Statement(sql, tuple(params), guard=or_raise))

    def flush(self) -> None:
        """Send every statement collected so far, in order; then check the guards."""
        statements, self._statements = self._statements, []
        if not statements:
            return
        connection = connections[self.using]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # The statements' texts hold no literal "%": each parameter is a placeholder.
                cursor.execute(
                    ";\n".join(s.sql for s in statements), [p for s in statements for p in s.params]
                )
                for position, statement in enumerate(statements):
                    if position:
                        cursor.nextset()
                    _read_result(cursor, statement)
            else:
                for statement in statements:
                    cursor.execute(statement.sql, statement.params)
                    _read_result(cursor, statement)


def _read_result(cursor, statement: _Statement) -> None:
    if statement.returns:
        for obj, (pk,) in zip(statement.returns, cursor.fetchall(), strict=True):
            obj.pk = pk
    elif statement.guard is not None and cursor.rowcount == 0:
        raise statement.guard
