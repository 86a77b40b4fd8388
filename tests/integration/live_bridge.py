"""The bridge served over real HTTP by uvicorn in a background thread, on a clock the test can move forward
(so TOTP time steps and code lifetimes pass without sleeping)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from idp_bridge.app import create_app
from idp_bridge.config.model import Config


class OffsetClock:
    """Wall-clock time plus an offset the test advances (the upstream mints real timestamps)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@contextmanager
def live_bridge(config: Config, clock: OffsetClock, port: int) -> Iterator[str]:
    server = uvicorn.Server(
        uvicorn.Config(create_app(config, clock=clock), host="127.0.0.1", port=port, log_level="warning",
                       access_log=False, lifespan="on")
    )  # fmt: skip
    thread = threading.Thread(target=server.run, name="live-bridge", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the bridge did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
