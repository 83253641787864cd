# phoenix-serve.py - `phoenix serve` bound to loopback only, for the tests
# (tests/phoenix.sh). PHOENIX_HOST binds the HTTP port, but the gRPC
# server of the pinned release always listens on "[::]" (grpc_server.py):
# this wraps grpc.aio.server so that its port is 127.0.0.1 too. Nothing
# else changes. Run with the venv's python: python phoenix-serve.py
import sys

import grpc.aio

_server = grpc.aio.server


def _loopback_server(*args, **kwargs):
    server = _server(*args, **kwargs)
    add = server.add_insecure_port
    server.add_insecure_port = lambda address: add(
        address.replace("[::]", "127.0.0.1", 1))
    return server


grpc.aio.server = _loopback_server

from phoenix.server.main import main  # noqa: E402

sys.argv = ["phoenix", "serve"]
sys.exit(main())
