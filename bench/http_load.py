"""HTTP load on the production stack (nginx → gunicorn) over loopback: N clients for T seconds, each in a
closed loop (next request when the last is answered; with --rate R at most R a second, as the live page
sends 8) over a keep-alive connection from its own loopback
address (127.0.0.10, .11, …), so nginx's per-address rate limit sees N users, as it would.

    python bench/http_load.py [--clients 20] [--seconds 60] [--mix emotion=6,emoji=2,preview=3,sticker=1]
                              [--rate 0] [--port 8000 | --start [--workers 2 --threads 4] [--nodes N]]

The mix: `emotion` POST /api/emotion with a 640×480 webcam JPEG (the live page's request), `emoji` POST
/api/emoji (frame + look → 256 px PNG), `preview` GET /avatars/preview.svg (the designer's live preview),
`sticker` GET /avatars/emoji/<emotion>.png (a share link's PNG); looks and emotions vary between requests.
With --start it starts `manage.py serve` itself (production settings over plain HTTP, a throw-away
database) and stops it after; with --nodes N it starts a throw-away PostgreSQL cluster (testkit/postgres.py)
and N app nodes instead (`serve --bind`, --workers × --threads each, on loopback ports of their own) behind one
nginx (`serve --upstream`): scaled out as on N machines, here on one. Otherwise it loads the stack already on
--port (loopback only). Prints throughput, p50/p95/p99 per endpoint, errors by status, and each gunicorn
worker's RSS after the run.
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from testkit import images  # noqa: E402
from testkit.live_http import ApiClient, running_nodes, running_stack  # noqa: E402
from testkit.postgres import running_cluster  # noqa: E402

TOPS = ("BUN", "BOB", "CURLY", "CAESAR", "BIG_HAIR")
SKINS = ("TANNED", "PALE", "BROWN", "DARK_BROWN", "LIGHT")
EMOTIONS = ("happy", "sad", "angry", "surprise", "neutral", "fear", "disgust")
DEFAULT_MIX = "emotion=6,emoji=2,preview=3,sticker=1"


def looks():
    """Endless avatar looks as query strings, so that the render caches see a realistic spread."""
    for top, skin, emotion in itertools.cycle(itertools.product(TOPS, SKINS, EMOTIONS)):
        yield f"top={top}&skin_color={skin}", emotion


class Load:
    def __init__(self, port: int, frame: bytes):
        self.port, self.frame = port, frame
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: Counter = Counter()
        self.failures: Counter = Counter()  # no HTTP answer at all (connection refused, reset, timeout)
        self.lock = threading.Lock()

    def send(self, client: ApiClient, endpoint: str, look: str, emotion: str):
        if endpoint == "emotion":
            return client.post("/api/emotion", {"image": self.frame})
        if endpoint == "emoji":
            fields = dict(pair.split("=") for pair in look.split("&"))
            return client.post("/api/emoji", {"image": self.frame, "size": "256", **fields})
        if endpoint == "preview":
            return client.get(f"/avatars/preview.svg?{look}&emotion={emotion}")
        return client.get(f"/avatars/emoji/{emotion}.png?{look}&size=256")

    def run_client(self, index: int, endpoints: list[str], deadline: float, rate: float) -> None:
        client = ApiClient("127.0.0.1", self.port, source=f"127.0.0.{10 + index}", timeout=30)
        rng = random.Random(index)
        variety = looks()
        for _ in range(rng.randrange(50)):
            next(variety)
        next_start = time.monotonic()
        while next_start < deadline:
            time.sleep(max(0.0, next_start - time.monotonic()))
            next_start = max(next_start + 1 / rate, time.monotonic()) if rate else time.monotonic()
            endpoint = rng.choice(endpoints)
            look, emotion = next(variety)
            started = time.perf_counter()
            try:
                answer = self.send(client, endpoint, look, emotion)
            except OSError as error:
                client.close()
                with self.lock:
                    self.failures[type(error).__name__] += 1
                continue
            elapsed = (time.perf_counter() - started) * 1000
            with self.lock:
                self.statuses[answer.status] += 1
                if answer.status == 200:
                    self.latencies[endpoint].append(elapsed)
        client.close()


def worker_rss_mb(master_pids: list[int] | None) -> list[float]:
    """RSS of each gunicorn worker: the children of the given masters, or of any emojify gunicorn master."""
    masters = master_pids or [
        int(path.name) for path in Path("/proc").iterdir() if path.name.isdigit() and _is_gunicorn_master(path)
    ]
    sizes = []
    for master in masters:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        for pid in children:
            status = Path(f"/proc/{pid}/status").read_text()
            rss_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
            sizes.append(rss_kb / 1024)
    return sizes


def _is_gunicorn_master(path: Path) -> bool:
    try:
        command = (path / "cmdline").read_bytes().replace(b"\0", b" ")
        parent = int((path / "stat").read_text().rsplit(")", 1)[1].split()[1])
        parent_command = Path(f"/proc/{parent}/cmdline").read_bytes()
    except (OSError, ValueError, IndexError):
        return False
    return b"gunicorn" in command and b"emojify_site.wsgi" in command and b"gunicorn" not in parent_command


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def parse_mix(text: str) -> list[str]:
    endpoints = []
    for part in text.split(","):
        name, _, weight = part.partition("=")
        if name not in ("emotion", "emoji", "preview", "sticker"):
            raise SystemExit(f"unknown endpoint {name!r} in --mix")
        endpoints += [name] * int(weight or 1)
    return endpoints


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60, help="how long the load lasts (at most 600)")
    parser.add_argument("--mix", default=DEFAULT_MIX, help="endpoint=weight,… (emotion, emoji, preview, sticker)")
    parser.add_argument(
        "--rate",
        type=float,
        default=0,
        help="at most this many requests a second per client (0: the next as soon as the last is answered)",
    )
    parser.add_argument("--port", type=int, default=8000, help="the running stack's port on 127.0.0.1")
    parser.add_argument("--start", action="store_true", help="start `manage.py serve` for the run, then stop it")
    parser.add_argument("--workers", type=int, default=2, help="with --start (per node with --nodes)")
    parser.add_argument("--threads", type=int, default=4, help="with --start (per node with --nodes)")
    parser.add_argument(
        "--nodes",
        type=int,
        default=0,
        help="with --start: this many app nodes behind one nginx, "
        "on a throw-away PostgreSQL (0: the one-machine stack on SQLite)",
    )
    args = parser.parse_args()
    if not 0 < args.seconds <= 600 or not 0 < args.clients <= 200:
        raise SystemExit("--seconds must be in (0, 600] and --clients in (0, 200]: this is a bounded bench")
    endpoints = parse_mix(args.mix)
    if args.nodes and not args.start:
        raise SystemExit("--nodes goes with --start")
    if args.start and args.nodes:
        with (
            running_cluster() as cluster,
            running_nodes(
                cluster.create_database("bench"), nodes=args.nodes, workers=args.workers, threads=args.threads
            ) as scaled,
        ):
            print(
                f"started {args.nodes} app node{'s' * (args.nodes > 1)} ({args.workers} worker"
                f"{'s' * (args.workers > 1)} × {args.threads} threads each) behind one nginx, on PostgreSQL, "
                f"in {scaled.started_seconds:.1f} s"
            )
            return run(args, endpoints, scaled.port, scaled.master_pids)
    if args.start:
        with running_stack(workers=args.workers, threads=args.threads) as stack:
            print(
                f"started nginx → gunicorn ({args.workers} workers × {args.threads} threads) in "
                f"{stack.started_seconds:.1f} s"
            )
            return run(args, endpoints, stack.port, [stack.master_pid])
    return run(args, endpoints, args.port, None)


def run(args, endpoints: list[str], port: int, master_pids: list[int] | None) -> int:
    load = Load(port, images.encode(images.webcam_frame()))
    warm = ApiClient("127.0.0.1", port, source="127.0.0.9")
    for endpoint in sorted(set(endpoints)):  # one of each first: nothing below pays a first-call cost
        load.send(warm, endpoint, "top=BUN", "happy")
    deadline = time.monotonic() + args.seconds
    threads = [
        threading.Thread(target=load.run_client, args=(index, endpoints, deadline, args.rate))
        for index in range(args.clients)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    answered = sum(load.statuses.values())
    pace = f"at most {args.rate:g}/s each" if args.rate else "closed loop"
    print(f"{args.clients} clients × {args.seconds:g} s ({pace}) on http://127.0.0.1:{port}/, mix {args.mix}")
    print(f"throughput: {answered} requests answered in {elapsed:.1f} s = {answered / elapsed:.1f}/s")
    print(f"{'endpoint':<10}{'ok':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for endpoint, values in sorted(load.latencies.items()):
        print(
            f"{endpoint:<10}{len(values):>7}{statistics.median(values):>9.1f}{percentile(values, 0.95):>9.1f}"
            f"{percentile(values, 0.99):>9.1f}"
        )
    errors = {status: count for status, count in load.statuses.items() if status != 200}
    errors |= {f"no answer ({name})": count for name, count in load.failures.items()}
    print(
        "errors by status: "
        + (", ".join(f"{status}: {count}" for status, count in sorted(errors.items(), key=str)) if errors else "none")
    )
    sizes = worker_rss_mb(master_pids)
    print(
        "worker RSS after the run: "
        + (", ".join(f"{size:.0f} MB" for size in sizes) if sizes else "no gunicorn worker found")
    )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
