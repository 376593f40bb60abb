"""The trailing writes of a unit of work, sent to the database in one round trip.

A chatbot turn ends with four or five writes nobody reads before the turn commits: the
conversation's new state, its ending and the event that records it, the record of a read it made,
the Turn. Written with ``save()`` / ``create()`` each is a round trip and a query compilation; here
their values are prepared by the fields as the ORM prepares them (``auto_now``, JSON, UUIDs, keys)
and, on PostgreSQL, the statements are sent as one multi-statement ``execute`` — psycopg's
client-side binding (Django's default cursor) merges the parameters into the text, and each
statement's result is read back with ``nextset()``. Other backends run the statements one by one.

What it is for: inserts and updates by primary key inside the caller's transaction, whose outcome
the caller checks only at the end (``flush``). An update may be guarded (``only_if``): if it
matches no row, ``flush`` raises the given error, so the caller's transaction rolls back whole —
the guarded conditional UPDATE of the house style, sent with the rest.

The statements are plain ``INSERT ... VALUES`` / ``UPDATE ... SET ... WHERE pk = %s`` over the
model's concrete columns; every value goes through its field's ``pre_save`` and
``get_db_prep_save``, as in ``save()``. (Django's query compilers built the same text for ~0.3 ms a
statement; the equality filters and column lists here need none of what they resolve.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import connections
from django.db.models import Model


@dataclass
class _Statement:
    sql: str
    params: tuple
    returns: list[Model] = field(default_factory=list)  # inserts: the objects whose pks come back
    guard: Exception | None = None  # updates with only_if: raised when no row matched
    # updates: the object, the fields written and the only_if conditions (to merge the next update)
    target: Model | None = None
    fields: tuple[str, ...] = ()
    only_if: dict = field(default_factory=dict)


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
        keyed = {obj.pk is not None for obj in objs}
        if len(keyed) > 1:
            raise ValueError("insert objects that all have their primary key, or none")
        generated = meta.pk.db_returning and keyed == {False}
        if generated and not connection.features.can_return_rows_from_bulk_insert:
            raise NotImplementedError(f"{connection.vendor} cannot return the keys of a multi-row INSERT")
        fields = [f for f in meta.concrete_fields if not (generated and f.primary_key)]
        quote = connection.ops.quote_name
        row = f"({', '.join(['%s'] * len(fields))})"
        sql = (
            f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
            f"VALUES {', '.join([row] * len(objs))}"
        )
        if generated:
            sql += f" RETURNING {quote(meta.pk.column)}"
        params = [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for obj in objs for f in fields]
        self._statements.append(_Statement(sql, tuple(params), list(objs) if generated else []))
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
        those values is changed, and ``flush`` raises ``or_raise`` if there was none.

        An update of the same object right after another one (at most one of them guarded) joins
        it: one UPDATE of the union of the fields, under the guard — one new row version instead
        of two. A guard miss still raises at ``flush``, and the caller's transaction keeps nothing
        of either."""
        if (only_if is None) != (or_raise is None):
            raise ValueError("only_if and or_raise go together")
        if any(value is None for value in (only_if or {}).values()):
            raise ValueError("only_if compares with =, which never matches NULL")
        last = self._statements[-1] if self._statements else None
        if last is not None and last.target is obj and (last.guard is None or or_raise is None):
            self._statements.pop()
            fields = [*last.fields, *(name for name in fields if name not in last.fields)]
            only_if, or_raise = {**last.only_if, **(only_if or {})}, last.guard or or_raise
        connection = connections[self.using]
        meta, quote = type(obj)._meta, connection.ops.quote_name
        changed = [meta.get_field(name) for name in fields]
        guards = [(meta.pk, obj.pk)] + [
            (meta.get_field(name), value) for name, value in (only_if or {}).items()
        ]
        sql = (
            f"UPDATE {quote(meta.db_table)} SET {', '.join(f'{quote(f.column)} = %s' for f in changed)} "  # noqa: S608
            f"WHERE {' AND '.join(f'{quote(f.column)} = %s' for f, _ in guards)}"
        )
        params = [f.get_db_prep_save(f.pre_save(obj, add=False), connection) for f in changed]
        params += [f.get_db_prep_value(value, connection) for f, value in guards]
        self._statements.append(
            _Statement(
                sql, tuple(params), guard=or_raise, target=obj, fields=tuple(fields), only_if=only_if or {}
            )
        )

    def flush(self) -> None:
        """Send every statement collected so far, in order; then check the guards."""
        statements, self._statements = self._statements, []
        if not statements:
            return
        connection = connections[self.using]
        with connection.cursor() as cursor:
            # A server-side binding cursor (OPTIONS server_side_binding) prepares one statement at a time.
            if connection.vendor == "postgresql" and not connection.settings_dict["OPTIONS"].get(
                "server_side_binding"
            ):
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
