"""A CPU-time stack sampler for the bridge process, used by `bench/login.py --profile`.

`python bench/cpu_sampler.py OUT CONFIG` runs `idp-bridge serve --config CONFIG` with a SIGPROF handler: between
SIGUSR1 and SIGUSR2 an ITIMER_PROF timer fires as the process consumes CPU (about one sample per kernel tick of
CPU), and the handler records the Python stack. Idle time (waiting in epoll) gets no samples; time in a C call
(SQLite, RSA signing) lands on the Python function that made the call. No dependency beyond the stdlib.
"""

from __future__ import annotations

import re
import signal
import sys
import sysconfig
import time
from collections import Counter
from pathlib import Path
from types import CodeType, FrameType


def serve_sampled(out: str, config: str) -> None:
    """`idp-bridge serve --config CONFIG`, sampling its stack on SIGPROF from SIGUSR1 to SIGUSR2 (then writing
    `out`, one `frame;frame;... count` line per distinct stack)."""
    from idp_bridge.cli.main import main as cli_main

    stacks, labels = Counter[str](), dict[CodeType, str]()
    paths = sysconfig.get_paths()  # shortest names: relative to site-packages, the stdlib or the checkout
    prefixes = sorted({paths["purelib"] + "/", paths["stdlib"] + "/", str(Path(__file__).parents[1]) + "/"})[::-1]

    def label(code: CodeType) -> str:
        name = code.co_filename
        name = next((name[len(p) :] for p in prefixes if name.startswith(p)), name)
        return labels.setdefault(code, f"{code.co_qualname} ({name})")

    def sample(signum: int, frame: FrameType | None) -> None:
        names: list[str] = []
        while frame is not None:
            names.append(labels.get(frame.f_code) or label(frame.f_code))
            frame = frame.f_back
        stacks[";".join(reversed(names))] += 1

    def toggle(signum: int, frame: object) -> None:
        on = signum == signal.SIGUSR1
        signal.setitimer(signal.ITIMER_PROF, 0.001 if on else 0, 0.001 if on else 0)
        if not on:
            Path(out + ".tmp").write_text("".join(f"{stack} {count}\n" for stack, count in stacks.items()))
            Path(out + ".tmp").rename(out)

    signal.signal(signal.SIGPROF, sample)
    signal.signal(signal.SIGUSR1, toggle)
    signal.signal(signal.SIGUSR2, toggle)
    cli_main(["serve", "--config", config])


# Where CPU goes: each sample counts for the first of these that matches a frame, from the innermost frame out.
CATEGORIES = [
    ("SQLite store", r"SQLiteStore\.|store/sqlite"),
    ("bridge id_token signing", r"SigningKeys\.sign"),
    ("upstream token request (httpx2)", r"^\S+ \((httpx2|httpcore2)/"),
    ("upstream id_token validation", r"validate_id_token"),
    ("log lines (logging)", r"^\S+ \(logging/"),
    ("request parameter parsing", r"request_params|formparsers|multipart"),
    ("HTTP server (uvicorn, h11)", r"^\S+ \((uvicorn|h11)/"),
    ("Starlette (routing, middleware, responses)", r"^\S+ \(starlette/"),
    ("bridge code, other", r"^\S+ \((idp_bridge|providers|policies)/"),
    ("asyncio event loop", r"^\S+ \((asyncio|selectors)"),
]


def report(path: Path, top: int) -> None:
    """Shares of the CPU samples: by category, by function running (self), by project function on the stack."""
    for _ in range(100):  # the bridge writes it on SIGUSR2
        if path.exists():
            break
        time.sleep(0.05)
    own, inclusive, category, total = Counter[str](), Counter[str](), Counter[str](), 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames, samples = stack.split(";"), int(count)
        total += samples
        own[frames[-1]] += samples
        for frame in set(frames):
            if re.match(r"\S+ \((idp_bridge|providers|policies)/", frame):
                inclusive[frame] += samples
        found = (name for frame in reversed(frames) for name, rx in CATEGORIES if re.search(rx, frame))
        category[next(found, "other")] += samples
    print(f"--- bridge CPU profile: {total} samples of its CPU during the measured logins ---")
    for title, counter in (("category", category), ("self", own), ("inclusive, project code", inclusive)):
        print(f"by {title}:")
        for frame, samples in counter.most_common(top):
            print(f"  {100 * samples / max(total, 1):5.1f}%  {frame}")
    print()


if __name__ == "__main__":
    serve_sampled(sys.argv[1], sys.argv[2])
