"""Model instances from rows read with hand-written SQL: the read side of ``config/batch.py``.

A hot path that writes its own ``SELECT`` (a statement the ORM would compile on every call for more
than it costs to run) still wants the model instance the ORM would have built: every concrete
column, in order, each value through the converters the ORM applies (JSON decoded, and on SQLite
dates, UUIDs, booleans). ``row_reader(Model)`` works those out once per process and model."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model


@dataclass(frozen=True)
class RowReader:
    model: type[Model]
    using: str
    names: tuple[str, ...]  # the attnames of the concrete fields, in column order
    quoted: tuple[str, ...]  # their columns, quoted
    converters: tuple  # (position, converter functions, expression) of the columns that have any

    def columns(self, alias: str = "") -> str:
        """Every concrete column, quoted, in order (``alias.`` before each one if given)."""
        prefix = f"{connections[self.using].ops.quote_name(alias)}." if alias else ""
        return ", ".join(prefix + column for column in self.quoted)

    def instance(self, row) -> Model:
        """The instance of the row's first ``len(names)`` values, as the ORM builds it (later values,
        e.g. aggregated lists, are the caller's)."""
        connection = connections[self.using]
        values = list(row[: len(self.names)])
        for position, functions, expression in self.converters:
            for convert in functions:
                values[position] = convert(values[position], expression, connection)
        return self.model.from_db(self.using, self.names, values)


@cache
def row_reader(model: type[Model], using: str = DEFAULT_DB_ALIAS) -> RowReader:
    meta, quote = model._meta, connections[using].ops.quote_name
    compiler = model._default_manager.none().query.get_compiler(using=using)
    fields = meta.concrete_fields
    found = compiler.get_converters([field.get_col(meta.db_table) for field in fields])
    converters = tuple((at, tuple(functions), column) for at, (functions, column) in sorted(found.items()))
    return RowReader(
        model, using, tuple(f.attname for f in fields), tuple(quote(f.column) for f in fields), converters
    )
