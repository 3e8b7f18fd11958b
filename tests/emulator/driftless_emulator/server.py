"""Entry point: serve moto + the driftless extension on host:port."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="tests/emulator/run", description=__doc__)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument(
        "--exit-with-stdin",
        action="store_true",
        help="exit as soon as standard input reaches EOF (lifeline for test harnesses)",
    )
    p.add_argument(
        "--verbose",
        action="store_true",
        default=os.environ.get("DRIFTLESS_EMULATOR_VERBOSE", "") not in ("", "0"),
        help="log every request (also DRIFTLESS_EMULATOR_VERBOSE=1)",
    )
    return p.parse_args(argv)


def _watch_stdin() -> None:
    try:
        while sys.stdin.buffer.read(65536):
            pass
    except Exception:
        pass
    logging.getLogger("driftless_emulator").info("stdin closed: exiting")
    os._exit(0)


def build_app():  # type: ignore[no-untyped-def]
    from . import patches

    patches.apply()
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from .middleware import DriftlessApp

    return DriftlessApp(DomainDispatcherApplication(create_backend_app))


def main(argv: list[str] | None = None) -> None:
    args = _parse(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    if not args.verbose:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
    # Fake credentials for anything moto itself signs; never real ones.
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

    if args.exit_with_stdin:
        threading.Thread(target=_watch_stdin, name="stdin-lifeline", daemon=True).start()

    app = build_app()
    spec = os.environ.get("DRIFTLESS_EMULATOR_FAULTS")
    if spec:
        app.faults.configure(json.loads(spec))
    mode = os.environ.get("DRIFTLESS_EMULATOR_QUOTAS", "")
    if mode not in ("", "off"):
        # "aws": AWS's default request rates; or a JSON spec as for POST /_driftless/quotas.
        app.quotas.configure({"mode": "aws"} if mode == "aws" else json.loads(mode))

    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import ThreadedWSGIServer

    class _Server(ThreadedWSGIServer):
        # werkzeug listens with a backlog of 128: a client that opens a few hundred
        # connections at once (one AWS account's many targets) had its SYNs dropped and
        # retried after 1 s and 3 s, past the SDK's 3.1 s connect timeout. The kernel
        # caps this at net.core.somaxconn (4096 by default). Keep-alive is on already
        # (werkzeug speaks HTTP/1.1 when threaded) and each connection has its thread.
        request_queue_size = 4096

    verbose = args.verbose

    class Handler(MotoRequestHandler):
        def log_request(self, code="-", size="-"):  # type: ignore[no-untyped-def]
            if verbose:
                super().log_request(code, size)

        def connection_dropped(self, error, environ=None):  # type: ignore[no-untyped-def]
            self.close_connection = True

    server = _Server(args.host, args.port, app, handler=Handler)
    server.daemon_threads = True

    def _stop(signum, frame):  # type: ignore[no-untyped-def]
        os._exit(0)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    print(
        f"driftless-emulator: serving moto on http://{args.host}:{args.port} "
        f"(control: /_driftless/calls, /_driftless/faults, /_driftless/quotas)",
        file=sys.stderr,
        flush=True,
    )
    server.serve_forever()


if __name__ == "__main__":
    main()
