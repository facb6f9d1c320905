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

# The databases that read in autocommit. On PostgreSQL that means no BEGIN
# before the query and no ROLLBACK when the connection goes back, one round
# trip instead of three, and psycopg keeps the statements it has prepared
# (a ROLLBACK makes it drop them). SQLite begins no transaction for a read
# anyway, and setting its isolation level costs a PRAGMA.
AUTOCOMMIT_READS = frozenset({"postgresql"})


def read_row(statement, parameters):
    """The first row of the read-only ``statement``, as a tuple, or None.

    ``parameters`` maps the statement's bind parameters to values. Both go
    to the driver, and the row comes back from it, without SQLAlchemy's
    type processing: fit for integers and strings, not for dates on
    SQLite, which SQLAlchemy stores as text.

    A read that meets a connection the server dropped, as a restart does,
    is tried once more: the pool has been emptied by then (see
    :func:`read_once`), so it runs on a fresh connection, and a read
    repeated changes nothing.
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
    dropped = False
    try:
        connection = engine.raw_connection()
        try:
            return fetch_one(dialect, connection, sql, arguments)
        except BaseException as error:
            dropped = dialect.is_disconnect(error, connection.dbapi_connection, None)
            # It may still be in autocommit, or broken: not for the pool.
            connection.invalidate(error)
            raise
        finally:
            connection.close()
    except dialect.loaded_dbapi.Error as error:
        if dropped:
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


def fetch_one(dialect, connection, sql, arguments):
    """Run ``sql`` on the pooled ``connection``; its first row, or None."""
    autocommit = dialect.name in AUTOCOMMIT_READS
    if autocommit:
        dialect.set_isolation_level(connection.dbapi_connection, "AUTOCOMMIT")
    with contextlib.closing(connection.cursor()) as cursor:
        cursor.execute(sql, arguments)
        row = cursor.fetchone()
    if autocommit:
        dialect.reset_isolation_level(connection.dbapi_connection)
    return row


def driver_statement(statement, dialect, parameters):
    """``statement`` in the driver's SQL, and ``parameters`` as it takes them.

    SQLite's driver takes parameters by position, psycopg by name.
    """
    compiled = compile_once(statement, dialect)
    values = compiled.construct_params(parameters)
    if compiled.positiontup is None:
        return compiled.string, values
    return compiled.string, tuple(values[name] for name in compiled.positiontup)


@functools.lru_cache(maxsize=32)
def compile_once(statement, dialect):
    return statement.compile(dialect=dialect)
