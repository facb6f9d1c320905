"""The reads every request makes, at the cost of the query and little more.

A signed-in request looks its user up (see ``users.get_current_user``).
SQLAlchemy compiles the statement once per database; each read then runs
the SQL with a DBAPI cursor on one of SQLAlchemy's pooled connections.
``Connection.execute`` would also build an execution context and a result
around the one row, which cost more than the query itself in a request.
What it does besides is kept: the driver's errors arrive as SQLAlchemy's,
and a connection the server dropped is discarded, with the rest of the pool.
"""

import contextlib
import functools

import sqlalchemy as sa

from .db import db

# How reads run, by database. PostgreSQL reads in autocommit: no BEGIN
# before the query and no ROLLBACK when the connection goes back, one round
# trip instead of three, and psycopg keeps the statements it has prepared
# (a ROLLBACK makes it drop them). SQLite begins no transaction for a read
# anyway, and setting its isolation level costs a PRAGMA.
READ_OPTIONS = {"postgresql": {"isolation_level": "AUTOCOMMIT"}}


def read_row(statement, parameters):
    """The first row of the read-only ``statement``, as a tuple, or None.

    ``parameters`` maps the statement's bind parameters to values. A read
    that meets a connection the server dropped, as a restart does, is tried
    once more: the pool has been emptied by then (see :func:`read_once`),
    so it runs on a fresh connection, and a read repeated changes nothing.
    """
    engine = db.engine
    try:
        return read_once(engine, statement, parameters)
    except sa.exc.DBAPIError as error:
        if not error.connection_invalidated:
            raise
    return read_once(engine, statement, parameters)


def read_once(engine, statement, parameters):
    """One try of :func:`read_row` on one pooled connection.

    When the driver says the connection is gone, the others in the pool
    are taken to be gone too, since a server that restarts drops them all:
    the pool is emptied, as SQLAlchemy does after a dropped connection.
    """
    dialect = engine.dialect
    sql, arguments = driver_statement(statement, dialect, parameters)
    with engine.connect() as connection:
        options = READ_OPTIONS.get(dialect.name)
        if options:
            connection.execution_options(**options)
        pooled = connection.connection
        try:
            with contextlib.closing(pooled.cursor()) as cursor:
                cursor.execute(sql, arguments)
                return cursor.fetchone()
        except dialect.loaded_dbapi.Error as error:
            dropped = dialect.is_disconnect(error, pooled.dbapi_connection, None)
            if dropped:
                connection.invalidate(error)
                engine.dispose()
            raise sa.exc.DBAPIError.instance(
                sql,
                arguments,
                error,
                dialect.loaded_dbapi.Error,
                hide_parameters=engine.hide_parameters,
                connection_invalidated=dropped,
                dialect=dialect,
            ) from error


def driver_statement(statement, dialect, parameters):
    """``statement`` in the driver's SQL, and ``parameters`` as it takes them."""
    sql, positions = compiled(statement, dialect)
    if positions is None:
        return sql, parameters
    return sql, tuple(parameters[name] for name in positions)


@functools.lru_cache(maxsize=32)
def compiled(statement, dialect):
    """The SQL of ``statement`` for ``dialect``, and its parameters' order.

    SQLite's driver takes parameters by position, psycopg by name.
    """
    compiled = statement.compile(dialect=dialect)
    return str(compiled), compiled.positiontup if dialect.positional else None
