"""Scaled out: two app nodes (`manage.py serve --bind`, gunicorn alone on its own loopback port, as two machines
would be) behind one nginx (`manage.py serve --upstream … --upstream …`), sharing one PostgreSQL database in the
throw-away cluster (testkit/postgres.py). What a person does through one node holds through the other: their
avatar, their session and sign-in, and the log-in throttle's count; and when node A dies under load, the
balancer passes it over and no request is lost once A is down. Loopback only; every client talks from an
address of its own (testkit/live_http.py); nothing waits on a clock but a bound on a hang."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from avatars.presets import preset
from testkit.live_http import ApiClient, Node, Stack, running_nodes
from testkit.postgres import wait_until

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PASSWORD = "correct horse battery staple 7"

pytestmark = [
    pytest.mark.postgresql_only,
    pytest.mark.skipif(not Path(NGINX).is_file(), reason="nginx is not installed: `make test` installs it"),
]


@dataclass
class ScaleOut:
    a: Node
    b: Node
    balancer_port: int


@contextlib.contextmanager
def scaled_out(cluster):
    """A fresh database in the cluster; nodes A and B (1 worker × 4 threads each) and the balancer in front."""
    with running_nodes(cluster.create_database(f"scale_out_{uuid.uuid4().hex[:12]}"), nodes=2) as running:
        yield ScaleOut(*running.nodes, running.port)


@pytest.fixture(scope="module")
def two_nodes(postgres_cluster):
    with scaled_out(postgres_cluster) as running:
        yield running


@dataclass
class Person:
    """One browser: its cookies (session, csrftoken) go with it to whichever node it talks to, from its own
    loopback address."""

    address: str = field(default_factory=Stack.address)
    cookies: dict = field(default_factory=dict)

    def via(self, port: int) -> ApiClient:
        client = ApiClient("127.0.0.1", port, source=self.address, timeout=60)
        client.cookies = self.cookies  # shared: a cookie set through one node is sent to the other
        return client

    def post(self, port: int, path: str, fields: dict):
        client = self.via(port)
        client.token = client.get("/api/csrf").json()["csrfToken"]  # signing in rotates it: fetched each time
        return client.post(path, fields)


def sign_up(person: Person, port: int, username: str):
    answer = person.post(
        port, "/accounts/signup/", {"username": username, "password1": PASSWORD, "password2": PASSWORD}
    )
    assert answer.status == 302, answer.body[:300]


def new_avatar(person: Person, port: int, name: str) -> int:
    answer = person.post(port, "/avatars/new/?gender=female", {"name": name, "gender": "female", **preset("female")})
    assert answer.status == 302, answer.body[:300]
    return int(answer.headers["Location"].rstrip("/").rsplit("/", 1)[1])  # /generate/<pk>/


def test_the_balancer_spreads_requests_over_both_nodes(two_nodes):
    client = Person().via(two_nodes.balancer_port)
    before = two_nodes.a.requests_served("/accounts/login/"), two_nodes.b.requests_served("/accounts/login/")
    for _ in range(4):
        assert client.get("/accounts/login/").status == 200
    after = two_nodes.a.requests_served("/accounts/login/"), two_nodes.b.requests_served("/accounts/login/")
    assert after[0] > before[0] and after[1] > before[1]


def test_an_avatar_made_through_node_a_is_served_edited_and_deleted_through_node_b(two_nodes):
    a, b = two_nodes.a.port, two_nodes.b.port
    visitor = Person()
    pk = new_avatar(visitor, a, "made on A")
    picture = visitor.via(b).get(f"/avatars/{pk}/emoji/happy.png")
    assert picture.status == 200 and picture.body.startswith(b"\x89PNG")
    assert visitor.via(b).get(f"/generate/{pk}/").status == 200
    assert Person().via(b).get(f"/generate/{pk}/").status == 404  # still only its owner's, on B too
    edited = visitor.post(b, f"/avatars/{pk}/edit/", {"name": "edited on B", "gender": "female", **preset("female")})
    assert edited.status == 302, edited.body[:300]
    assert "edited on B" in visitor.via(a).get("/avatars/").body.decode()
    assert visitor.post(b, f"/avatars/{pk}/delete/", {}).status == 302
    assert visitor.via(a).get(f"/generate/{pk}/").status == 404
    assert visitor.via(a).get(f"/avatars/{pk}/emoji/happy.png").status == 404


def test_sessions_and_sign_in_carry_over_between_the_nodes(two_nodes):
    a, b = two_nodes.a.port, two_nodes.b.port
    person = Person()
    pk = new_avatar(person, a, "a visitor's")  # a visitor's session, made on A
    assert person.via(b).get(f"/generate/{pk}/").status == 200
    sign_up(person, b, "nodes")  # signing up on B takes the visitor's avatar along
    account = person.via(a).get("/accounts/")
    assert account.status == 200 and "nodes" in account.body.decode()
    assert "a visitor&#x27;s" in person.via(a).get("/avatars/").body.decode()
    assert person.post(a, "/accounts/logout/", {}).status == 302
    assert person.via(b).get("/accounts/").status == 302  # signed out everywhere: the session is gone
    signed_in = person.post(b, "/accounts/login/", {"username": "nodes", "password": PASSWORD})
    assert signed_in.status == 302
    assert person.via(a).get(f"/generate/{pk}/").status == 200


def log_in(person: Person, port: int, password: str) -> str:
    """What the log-in page says: "refused" (throttled), "wrong" (the password checked and wrong) or "in"."""
    answer = person.post(port, "/accounts/login/", {"username": "guarded", "password": password})
    if answer.status == 302:
        return "in"
    assert answer.status == 200, answer.body[:300]
    return "refused" if "Too many wrong passwords" in answer.body.decode() else "wrong"


def test_the_log_in_throttle_counts_failures_made_through_both_nodes(two_nodes):
    from accounts.throttle import PER_ADDRESS_AND_NAME

    a, b = two_nodes.a.port, two_nodes.b.port
    sign_up(Person(), a, "guarded")
    guesser = Person()
    tries = [log_in(guesser, (a, b)[n % 2], "wrong guess") for n in range(PER_ADDRESS_AND_NAME)]
    assert tries == ["wrong"] * PER_ADDRESS_AND_NAME  # the guesses alternate between A and B
    assert log_in(guesser, a, PASSWORD) == "refused" and log_in(guesser, b, PASSWORD) == "refused"
    assert log_in(Person(), b, PASSWORD) == "in"  # the owner, from another address
    # Through the balancer each node sees the client's address, not nginx's (X-Real-IP believed from the
    # balancer only): one address's guesses do not hold up another's log-in.
    balancer = two_nodes.balancer_port
    through = Person()
    assert [log_in(through, balancer, "wrong guess") for _ in range(PER_ADDRESS_AND_NAME)] == [
        "wrong"
    ] * PER_ADDRESS_AND_NAME
    assert log_in(through, balancer, PASSWORD) == "refused"
    assert log_in(Person(), balancer, PASSWORD) == "in"


def test_killing_node_a_mid_load_loses_no_request_once_it_is_down(postgres_cluster):
    """Four clients load the balancer (a signed-in person's avatar list: session and avatars from the
    database); node A is killed whole (gunicorn's master and worker, as a machine that dies). Once A's port
    refuses connections, every request is answered by B, none lost; none was lost before the kill either."""
    with scaled_out(postgres_cluster) as running:
        port = running.balancer_port
        person = Person()
        sign_up(person, port, "under_load")
        new_avatar(person, port, "loaded")
        answers: list[tuple[float, int | str]] = []  # (when the request started, status or the error's name)
        lock = threading.Lock()
        stop = threading.Event()

        def load():
            client = ApiClient("127.0.0.1", port, source=Stack.address(), timeout=60)
            client.cookies = dict(person.cookies)
            for _ in range(2000):  # bounded: the main thread stops it long before
                if stop.is_set():
                    break
                started = time.monotonic()
                try:
                    answer = client.get("/avatars/")
                    outcome = answer.status if b"loaded" in answer.body or answer.status != 200 else "not signed in"
                except OSError as error:
                    client.close()
                    outcome = type(error).__name__
                with lock:
                    answers.append((started, outcome))

        def started_after(moment: float) -> list:
            with lock:
                return [outcome for started, outcome in answers if started > moment]

        threads = [threading.Thread(target=load) for _ in range(4)]
        for thread in threads:
            thread.start()
        try:
            wait_until(
                lambda: running.a.requests_served("/avatars/") >= 10 and running.b.requests_served("/avatars/") >= 10,
                bound=120,
                what="both nodes under load",
            )
            killed_at = time.monotonic()
            os.killpg(running.a.process.pid, signal.SIGKILL)
            wait_until(running.a.down, bound=60, what="node A's port refusing connections")
            down_at = time.monotonic()
            served_by_b = running.b.requests_served("/avatars/")
            wait_until(lambda: len(started_after(down_at)) >= 60, bound=120, what="60 requests after A went down")
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=120)
        after = started_after(down_at)
        assert after and set(after) == {200}, f"lost after A was down: {[o for o in after if o != 200]}"
        assert {outcome for started, outcome in answers if started < killed_at} == {200}
        wait_until(
            lambda: running.b.requests_served("/avatars/") >= served_by_b + len(after),
            bound=60,
            what="B's log of the requests after A went down",
        )  # B answered them all
