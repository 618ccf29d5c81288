"""Benchmark-only experiments on the running server, without touching ``src/``.

``benchmarks/store_load.py --experiment SPEC`` puts this directory on the server's
PYTHONPATH, so Python imports this module at start-up in the server and in every
uvicorn worker, and sets ``REMISSION_BENCH_EXPERIMENT`` to SPEC, a comma-separated
list of:

``switch=SECONDS``    ``sys.setswitchinterval`` (GIL hand-over interval; default 0.005)
``pool=SIZE:OVERFLOW`` SQLAlchemy pool size and overflow for PostgreSQL engines (default 5:10)
``noping``            no ``pool_pre_ping`` (one round trip less per checkout)
``threads=N``         anyio's thread limiter, i.e. sync endpoints and dependencies at once (default 40)
``nodelay``           give uvicorn's pre-bound listening socket (``--workers`` > 1) ``proto=IPPROTO_TCP``,
                      so asyncio turns on TCP_NODELAY for accepted connections (uvicorn issue #3149)
``latechain``         append the audit chain once per transaction, just before COMMIT (a
                      ``before_commit`` hook after the last flush) instead of in every
                      ``after_flush``: the chain lock then covers only lock, head read, INSERT and
                      COMMIT. Same entries, same chain; a sketch of a change to src/, measured here.
``lockwatch=DIR``     time the audit-chain advisory lock per transaction: wait, hold, statements
                      and CPU of the holding thread while holding; written to DIR/lockwatch-PID.json

Nothing here changes what is stored; it only changes pool, thread and GIL settings or measures.
"""

from __future__ import annotations

import os

_SPEC = os.environ.get("REMISSION_BENCH_EXPERIMENT", "")


def _options() -> dict[str, str]:
    options = {}
    for item in filter(None, (part.strip() for part in _SPEC.split(","))):
        name, _, value = item.partition("=")
        options[name] = value
    return options


def _install(options: dict[str, str]) -> None:
    import sys

    if "switch" in options:
        sys.setswitchinterval(float(options["switch"]))
    if "pool" in options or "noping" in options:
        import sqlalchemy

        original = sqlalchemy.create_engine

        def create_engine(url, *args, **kwargs):  # type: ignore[no-untyped-def]
            if str(url).startswith("postgresql"):
                if "pool" in options:
                    size, _, overflow = options["pool"].partition(":")
                    kwargs["pool_size"] = int(size)
                    kwargs["max_overflow"] = int(overflow or 0)
                if "noping" in options:
                    kwargs["pool_pre_ping"] = False
            return original(url, *args, **kwargs)

        sqlalchemy.create_engine = create_engine
    if "threads" in options:
        import anyio._backends._asyncio as backend

        tokens = int(options["threads"])
        original_limiter = backend.AsyncIOBackend.current_default_thread_limiter.__func__

        def current_default_thread_limiter(cls):  # type: ignore[no-untyped-def]
            limiter = original_limiter(cls)
            if limiter.total_tokens != tokens:
                limiter.total_tokens = tokens
            return limiter

        backend.AsyncIOBackend.current_default_thread_limiter = classmethod(current_default_thread_limiter)
    if "nodelay" in options:
        import socket

        import uvicorn.config

        original_bind = uvicorn.config.Config.bind_socket

        def bind_socket(self):  # type: ignore[no-untyped-def]
            sock = original_bind(self)
            if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
                sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
            return sock

        uvicorn.config.Config.bind_socket = bind_socket
    if "latechain" in options:
        _after_import("remission.store.session", _late_chain)
    if "lockwatch" in options:
        _lockwatch(options["lockwatch"])


def _after_import(name: str, patch) -> None:  # type: ignore[no-untyped-def]
    """Run ``patch(module)`` right after ``name`` is first imported."""
    import sys
    from importlib.abc import MetaPathFinder

    class Finder(MetaPathFinder):
        def find_spec(self, fullname, path, target=None):  # type: ignore[no-untyped-def]
            if fullname != name:
                return None
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(fullname, path, target)
                if spec is not None and spec.loader is not None:
                    original = spec.loader.exec_module

                    def exec_module(module, original=original):  # type: ignore[no-untyped-def]
                        original(module)
                        patch(module)

                    spec.loader.exec_module = exec_module  # type: ignore[method-assign]
                    return spec
            return None

    sys.meta_path.insert(0, Finder())


def _late_chain(session_module) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import event

    from remission.store import audit
    from remission.store.scoping import session_actor
    from remission.store.vocabulary import AuditAction

    study_session = session_module.StudySession
    event.remove(study_session, "after_flush", audit.audit_flush)

    def collect(session, flush_context):  # type: ignore[no-untyped-def]
        changes = []
        for obj in session.new:
            if obj.__tablename__ in audit.AUDITED:
                changes.extend(audit._column_changes(obj, AuditAction.CREATE))
        edits = []
        for obj in session.dirty:
            if obj.__tablename__ in audit.AUDITED and session.is_modified(obj, include_collections=False):
                edits.extend(audit._column_changes(obj, AuditAction.UPDATE))
        for obj in session.deleted:
            if obj.__tablename__ in audit.AUDITED:
                edits.extend(audit._column_changes(obj, AuditAction.DELETE))
        reason = session.info.get("reason")
        if edits and not (reason and reason.strip()):
            raise audit.ReasonRequired("a reason is required to change or delete a saved record")
        session.info.setdefault("pending_audit", []).extend([*changes, *edits])

    def append_before_commit(session):  # type: ignore[no-untyped-def]
        session.flush()  # the last flush first, so that the chain lock is taken after it
        pending = session.info.pop("pending_audit", [])
        if pending:
            audit.append_changes(
                session.connection(), session_actor(session), pending, session.info.get("reason")
            )

    def forget(session, *args):  # type: ignore[no-untyped-def]
        session.info.pop("pending_audit", None)

    event.listen(study_session, "after_flush", collect)
    event.listen(study_session, "before_commit", append_before_commit)
    event.listen(study_session, "after_rollback", forget)


def _lockwatch(directory: str) -> None:
    """Per transaction that takes the chain lock: how long it waited, how long it held it,
    how much of the holding time was statements in PostgreSQL, and how much CPU the
    holding thread got; the rest of the holding time the thread waited to run (the GIL)."""
    import json
    import threading
    import time

    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.pool import Pool

    records: list[list[float]] = []
    totals = {"statements": 0, "commits": 0, "rollbacks": 0, "checkouts": 0}
    path = os.path.join(directory, f"lockwatch-{os.getpid()}.json")

    @event.listens_for(Pool, "checkout")
    def _checkout(dbapi_connection, record, proxy):  # type: ignore[no-untyped-def]
        totals["checkouts"] += 1

    @event.listens_for(Engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        totals["statements"] += 1
        conn.info["lw_stmt_start"] = time.perf_counter()

    @event.listens_for(Engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        now = time.perf_counter()
        started = conn.info.pop("lw_stmt_start", now)
        if "pg_advisory_xact_lock" in statement:
            conn.info["lw"] = {
                "wait": now - started,
                "acquired": now,
                "cpu": time.thread_time(),
                "db": 0.0,
                "statements": 0,
            }
        elif "lw" in conn.info:
            conn.info["lw"]["db"] += now - started
            conn.info["lw"]["statements"] += 1

    @event.listens_for(Engine, "commit")
    def _commit(conn):  # type: ignore[no-untyped-def]
        totals["commits"] += 1
        held = conn.info.pop("lw", None)
        if held is None:
            return
        now = time.perf_counter()
        records.append(
            [
                held["wait"],
                now - held["acquired"],
                held["db"],
                held["statements"],
                time.thread_time() - held["cpu"],
            ]
        )

    @event.listens_for(Engine, "rollback")
    def _rollback(conn):  # type: ignore[no-untyped-def]
        totals["rollbacks"] += 1
        conn.info.pop("lw", None)

    def dump() -> None:
        for _ in range(3600):  # bounded: at most an hour of two-second dumps
            time.sleep(2)
            tmp = path + ".tmp"
            with open(tmp, "w") as file:
                json.dump(
                    {
                        "fields": ["wait", "hold", "db", "statements", "cpu"],
                        "records": records,
                        "totals": totals,
                    },
                    file,
                )
            os.replace(tmp, path)

    threading.Thread(target=dump, daemon=True, name="lockwatch").start()


if _SPEC:
    _install(_options())
