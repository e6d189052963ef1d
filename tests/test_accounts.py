"""Your avatars are yours: two users and an anonymous visitor, each unable to see, open, edit, delete,
download or emojify with another's avatar through any URL or API; a visitor's avatars moving into a new or existing
account; account pages, your data, deletion, log-in throttling, the migration of ownerless avatars and of the throttle
tables into the accounts app. Django's test client, real SQLite, the real model for the image APIs."""

import io
import json
import sqlite3

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse

from accounts.throttle import PER_ADDRESS_AND_NAME as LOGIN_FAILURE_LIMIT
from avatars.models import SavedAvatar
from avatars.presets import preset
from testkit import images
from testkit.commands import manage

PASSWORD = "correct horse battery staple 7"


def new_avatar(client: Client, name: str) -> SavedAvatar:
    """Saved through the form, as a person does: it belongs to whoever the client is."""
    response = client.post(
        reverse("avatars:create") + "?gender=female", {"name": name, "gender": "female", **preset("female")}
    )
    assert response.status_code == 302, response.content
    return SavedAvatar.objects.get(name=name)


def signed_in(username: str) -> Client:
    user = get_user_model().objects.create_user(username, f"{username}@example.com", PASSWORD)
    client = Client()
    client.force_login(user)
    return client


def photo(name="face.jpg"):
    upload = io.BytesIO(images.encode(images.webcam_frame()))
    upload.name = name
    return upload


# Every way a URL or API field names a saved avatar, and what its owner gets.
AVATAR_REQUESTS = {
    "edit": (lambda c, pk: c.get(reverse("avatars:edit", args=[pk])), 200),
    "edit (save)": (
        lambda c, pk: c.post(
            reverse("avatars:edit", args=[pk]), {"name": "Renamed", "gender": "male", **preset("male")}
        ),
        302,
    ),
    "duplicate": (lambda c, pk: c.post(reverse("avatars:duplicate", args=[pk])), 302),
    "delete page": (lambda c, pk: c.get(reverse("avatars:delete", args=[pk])), 200),
    "gallery": (lambda c, pk: c.get(reverse("avatars:gallery", args=[pk])), 200),
    "emoji svg": (lambda c, pk: c.get(reverse("avatars:emoji", args=[pk, "happy", "svg"])), 200),
    "emoji png": (lambda c, pk: c.get(reverse("avatars:emoji", args=[pk, "sad", "png"]) + "?size=128"), 200),
    "sticker pack": (lambda c, pk: c.get(reverse("avatars:stickers", args=[pk])), 200),
    "generate page": (lambda c, pk: c.get(reverse("generate", args=[pk])), 200),
    "api emoji": (lambda c, pk: c.post("/api/emoji", {"image": photo(), "avatar": pk, "format": "svg"}), 200),
    "api emojify": (lambda c, pk: c.post("/api/emojify", {"image": photo(), "avatar": pk, "format": "jpeg"}), 200),
    "delete": (lambda c, pk: c.post(reverse("avatars:delete", args=[pk])), 302),
}


@pytest.fixture
def people(db):
    """Ana and Ben (signed in) and a visitor without an account, each with one avatar of their own."""
    clients = {"ana": signed_in("ana"), "ben": signed_in("ben"), "visitor": Client()}
    return {who: (client, new_avatar(client, f"{who}'s avatar")) for who, client in clients.items()}


@pytest.mark.parametrize("request_name", list(AVATAR_REQUESTS))
@pytest.mark.parametrize("who, whose", [("ana", "ben"), ("ben", "visitor"), ("visitor", "ana"), ("visitor", "ben")])
def test_another_persons_avatar_is_not_found(people, request_name, who, whose):
    make_request, _ = AVATAR_REQUESTS[request_name]
    client, avatar = people[who][0], people[whose][1]
    before = avatar.look | {"name": avatar.name}
    response = make_request(client, avatar.pk)
    assert response.status_code == 404, (request_name, response.status_code)
    if request_name.startswith("api"):
        assert response.json() == {"error": "no saved avatar with that id"}
    avatar.refresh_from_db()  # still there, unchanged, and not copied
    assert avatar.look | {"name": avatar.name} == before
    assert SavedAvatar.objects.count() == 3


@pytest.mark.parametrize("request_name", list(AVATAR_REQUESTS))
@pytest.mark.parametrize("who", ["ana", "visitor"])
def test_the_owner_may(people, request_name, who):
    make_request, status = AVATAR_REQUESTS[request_name]
    client, avatar = people[who]
    assert make_request(client, avatar.pk).status_code == status


def test_lists_and_pages_show_only_your_own(people):
    for who, (client, avatar) in people.items():
        others = [other.name for name, (_, other) in people.items() if name != who]
        for url in (reverse("avatars:list"), reverse("home"), reverse("emojify_photo")):
            page = client.get(url).content.decode()
            assert avatar.name.replace("'", "&#x27;") in page, (who, url)
            assert not any(name.replace("'", "&#x27;") in page for name in others), (who, url)
    assert "No avatars yet" in Client().get(reverse("avatars:list")).content.decode()


def test_share_links_work_for_everyone(people):
    avatar = people["ana"][1]
    stranger = Client()
    for url in (
        reverse("avatars:shared_gallery"),
        reverse("avatars:shared_stickers"),
        reverse("avatars:shared_emoji", args=["happy", "svg"]),
    ):
        assert stranger.get(f"{url}?{avatar.share_query}").status_code == 200


def test_a_visitors_avatars_move_into_the_account_they_sign_up_for(db):
    visitor = Client()
    first, second = new_avatar(visitor, "first"), new_avatar(visitor, "second")
    response = visitor.post(reverse("signup"), {"username": "newcomer", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("avatars:list")
    user = get_user_model().objects.get(username="newcomer")
    assert set(user.avatars.all()) == {first, second}
    assert all(avatar.visitor == "" for avatar in user.avatars.all())
    assert visitor.get(reverse("generate", args=[first.pk])).status_code == 200  # signed in at once
    assert "You are logged out" in visitor.post(reverse("logout"), follow=True).content.decode()
    assert visitor.get(reverse("generate", args=[first.pk])).status_code == 404
    assert "No avatars yet" in visitor.get(reverse("avatars:list")).content.decode()


def test_a_visitors_avatars_move_into_the_account_they_log_in_to(db):
    user = get_user_model().objects.create_user("returning", password=PASSWORD)
    earlier = SavedAvatar.objects.create(owner=user, name="earlier", gender="male", **preset("male"))
    visitor = Client()
    today = new_avatar(visitor, "today")
    response = visitor.post(reverse("login"), {"username": "returning", "password": PASSWORD})
    assert response.status_code == 302
    assert set(user.avatars.all()) == {earlier, today}
    page = visitor.get(reverse("avatars:list")).content.decode()
    assert "earlier" in page and "today" in page


def test_weak_passwords_are_refused(db):
    for weak in ("password", "12345678", "newcomer1", "short"):
        response = Client().post(reverse("signup"), {"username": "newcomer", "password1": weak, "password2": weak})
        assert response.status_code == 200 and "errorlist" in response.content.decode(), weak
    assert not get_user_model().objects.exists()


def test_account_pages_your_data_and_deletion(people):
    client, avatar = people["ana"]
    page = client.get(reverse("account")).content.decode()
    assert "Signed in as <strong>ana</strong>" in page and "Download my data" in page

    download = client.get(reverse("account_data"))
    assert download["Content-Disposition"] == 'attachment; filename="emojify-my-data.json"'
    data = json.loads(download.content)
    assert data["username"] == "ana" and data["email"] == "ana@example.com"
    assert [entry["name"] for entry in data["avatars"]] == ["ana's avatar"]
    assert data["avatars"][0]["look"] == avatar.look and data["avatars"][0]["gender"] == "female"

    wrong = client.post(reverse("account_delete"), {"password": "not it"})
    assert wrong.status_code == 200 and "not your password" in wrong.content.decode()
    assert get_user_model().objects.filter(username="ana").exists()
    response = client.post(reverse("account_delete"), {"password": PASSWORD}, follow=True)
    assert "Your account and all its avatars are deleted." in response.content.decode()
    assert "logged out" not in response.content.decode()
    assert not get_user_model().objects.filter(username="ana").exists()
    assert not SavedAvatar.objects.filter(pk=avatar.pk).exists()
    assert SavedAvatar.objects.count() == 2  # Ben's and the visitor's stay
    assert client.get(reverse("account")).status_code == 302  # signed out: to the log-in page


def test_account_pages_need_a_log_in(db):
    for name in ("account", "account_data", "account_delete", "password_change"):
        response = Client().get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), name


def test_password_change_and_reset_mail(db):
    client = signed_in("ana")
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": PASSWORD + "!", "new_password2": PASSWORD + "!"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("password_change_done")
    response = Client().post(reverse("password_reset"), {"email": "ana@example.com"})
    assert response.status_code == 302 and len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/reset/" in line).strip()
    stranger = Client()
    form = stranger.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    response = stranger.post(
        form.redirect_chain[-1][0], {"new_password1": "another good phrase 9", "new_password2": "another good phrase 9"}
    )
    assert response.status_code == 302
    assert Client().login(username="ana", password="another good phrase 9")


def wrong_passwords(client: Client, url: str, fields: dict, count: int = LOGIN_FAILURE_LIMIT) -> None:
    for _ in range(count):
        page = client.post(url, fields).content.decode()
        assert "Too many" not in page and ("correct" in page or "not your password" in page), page[-500:]


def test_log_in_is_throttled_for_the_guessing_address_not_for_the_owner_elsewhere(db):
    """5 wrong passwords for ana from one address: that address may not try ana's (right) password again, in
    any spelling Django reads as ana's; ana herself, from another address, logs in."""
    get_user_model().objects.create_user("ana", password=PASSWORD)
    guesser = Client(REMOTE_ADDR="10.0.0.66")
    wrong_passwords(guesser, reverse("login"), {"username": "ana", "password": "guess"})
    for spelling in ("ana", "ANA", "\uff41\uff4e\uff41", " Ana"):  # fullwidth ａｎａ: NFKC makes it ana
        response = guesser.post(reverse("login"), {"username": spelling, "password": PASSWORD})
        assert response.status_code == 200, spelling
        assert "Too many wrong passwords. Wait 15 minutes" in response.content.decode(), spelling
    owner = Client(REMOTE_ADDR="10.9.8.7")
    assert owner.post(reverse("login"), {"username": "ana", "password": PASSWORD}).status_code == 302
    # Another person, from the guessing address, is not held up either.
    get_user_model().objects.create_user("ben", password=PASSWORD)
    assert guesser.post(reverse("login"), {"username": "ben", "password": PASSWORD}).status_code == 302


def test_the_admin_log_in_shares_the_throttle(db):
    get_user_model().objects.create_superuser("admin", "admin@example.com", PASSWORD)
    guesser = Client(REMOTE_ADDR="10.0.1.1")
    wrong_passwords(guesser, "/admin/login/", {"username": "admin", "password": "guess"})
    refused = guesser.post("/admin/login/", {"username": "admin", "password": PASSWORD})
    assert refused.status_code == 200 and "Too many wrong passwords" in refused.content.decode()
    assert "_auth_user_id" not in guesser.session
    # An address throttled on /accounts/login/ is throttled on the admin's log-in too, and the other way round.
    other = Client(REMOTE_ADDR="10.0.1.2")
    wrong_passwords(other, reverse("login"), {"username": "ADMIN", "password": "guess"})
    assert "Too many" in other.post("/admin/login/", {"username": "admin", "password": PASSWORD}).content.decode()
    assert (
        Client(REMOTE_ADDR="10.0.1.3")
        .post(
            "/admin/login/",
            {"username": "admin", "password": PASSWORD},
        )
        .status_code
        == 302
    )


@pytest.mark.parametrize(
    "url, field, right",
    [
        (
            "/accounts/password_change/",
            "old_password",
            {"new_password1": "fresh phrase 77 x", "new_password2": "fresh phrase 77 x"},
        ),
        ("/accounts/delete/", "password", {}),
        (
            "/admin/password_change/",
            "old_password",
            {"new_password1": "fresh phrase 77 x", "new_password2": "fresh phrase 77 x"},
        ),
    ],
)
def test_password_change_and_account_deletion_share_the_throttle(db, url, field, right):
    user = get_user_model().objects.create_user("ana", password=PASSWORD, is_staff=True)
    client = Client(REMOTE_ADDR="10.0.2.1")
    client.force_login(user)
    wrong_passwords(client, url, {field: "guess", **right})
    refused = client.post(url, {field: PASSWORD, **right})
    assert refused.status_code == 200 and "Too many wrong passwords" in refused.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    # And it is the same count as the log-in's: this address may not guess ana's password there either.
    assert (
        "Too many"
        in Client(REMOTE_ADDR="10.0.2.1")
        .post(reverse("login"), {"username": "ana", "password": PASSWORD})
        .content.decode()
    )


def test_many_addresses_guessing_one_name_stop_strangers_not_the_owners_browser(db):
    """Past the much higher per-name bar, only a browser that has entered the right password before (its
    known-device cookie) may still try; the others wait. No CAPTCHA."""
    from accounts.models import LoginFailure
    from accounts.throttle import KNOWN_DEVICE_COOKIE, PER_NAME

    get_user_model().objects.create_user("ana", password=PASSWORD)
    owners_browser = Client(REMOTE_ADDR="10.0.3.1")
    assert owners_browser.post(reverse("login"), {"username": "ana", "password": PASSWORD}).status_code == 302
    assert KNOWN_DEVICE_COOKIE in owners_browser.cookies
    owners_browser.post(reverse("logout"))
    LoginFailure.objects.bulk_create(
        LoginFailure(username="ana", ip=f"10.1.{index // 250}.{index % 250}") for index in range(PER_NAME)
    )
    stranger = Client(REMOTE_ADDR="10.0.3.2")
    assert "Too many" in stranger.post(reverse("login"), {"username": "ana", "password": PASSWORD}).content.decode()
    assert owners_browser.post(reverse("login"), {"username": "ana", "password": PASSWORD}).status_code == 302


def test_one_address_guessing_many_names_is_stopped(db):
    from accounts.models import LoginFailure
    from accounts.throttle import PER_ADDRESS

    get_user_model().objects.create_user("ana", password=PASSWORD)
    LoginFailure.objects.bulk_create(
        LoginFailure(username=f"name{index}", ip="10.0.4.1") for index in range(PER_ADDRESS)
    )
    sprayer = Client(REMOTE_ADDR="10.0.4.1")
    assert "Too many" in sprayer.post(reverse("login"), {"username": "ana", "password": PASSWORD}).content.decode()
    assert (
        Client(REMOTE_ADDR="10.0.4.2").post(reverse("login"), {"username": "ana", "password": PASSWORD}).status_code
        == 302
    )


def test_password_reset_mails_are_limited(db):
    from accounts.throttle import RESETS_PER_EMAIL

    get_user_model().objects.create_user("ana", "ana@example.com", PASSWORD)
    for _ in range(RESETS_PER_EMAIL):
        assert Client().post(reverse("password_reset"), {"email": "ana@example.com"}).status_code == 302
    refused = Client(REMOTE_ADDR="10.0.5.5").post(reverse("password_reset"), {"email": "ANA@example.com"})
    assert refused.status_code == 200 and "Too many reset mails" in refused.content.decode()
    assert len(mail.outbox) == RESETS_PER_EMAIL


def test_admin_lists_avatars_with_their_owners(people, admin_client):
    page = admin_client.get("/admin/avatars/savedavatar/").content.decode()
    assert "ana&#x27;s avatar" in page and "ben&#x27;s avatar" in page and ">ana<" in page


@pytest.mark.django_db(transaction=True)
def test_avatars_saved_before_ownership_belong_to_no_one():
    """Migrating today's ownerless avatars: they get no owner and no visitor, so no one but the admin sees
    them — we cannot know whose they were, and handing them to anyone would leak names people gave them."""
    executor = MigrationExecutor(connection)
    executor.migrate([("avatars", "0001_initial")])
    old_apps = executor.loader.project_state([("avatars", "0001_initial")]).apps
    old = old_apps.get_model("avatars", "SavedAvatar").objects.create(
        name="from before", gender="male", **preset("male")
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    migrated = SavedAvatar.objects.get(pk=old.pk)
    assert migrated.owner is None and migrated.visitor == ""
    visitor, user = Client(), signed_in("ana")
    new_avatar(visitor, "mine")  # a visitor with a session still does not see it
    for client in (visitor, user):
        assert client.get(reverse("generate", args=[old.pk])).status_code == 404
        assert "from before" not in client.get(reverse("avatars:list")).content.decode()


def test_old_log_in_failures_are_forgotten(db):
    """Failures older than the window neither count nor stay in the table."""
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import LoginFailure
    from accounts.throttle import WINDOW as LOGIN_FAILURE_WINDOW

    get_user_model().objects.create_user("ana", password=PASSWORD)
    for _ in range(LOGIN_FAILURE_LIMIT):
        LoginFailure.objects.create(username="ana", ip="127.0.0.1")
    LoginFailure.objects.update(at=timezone.now() - LOGIN_FAILURE_WINDOW - timedelta(seconds=1))
    assert Client().post(reverse("login"), {"username": "ana", "password": "guess"}).status_code == 200
    assert LoginFailure.objects.count() == 1  # the old ones pruned, the new one kept
    assert Client().post(reverse("login"), {"username": "ana", "password": PASSWORD}).status_code == 302


def test_avatars_of_visitors_whose_session_ended_are_cleared_and_no_one_elses(db):
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.core.management import call_command
    from django.utils import timezone

    staying, leaving, user = Client(), Client(), signed_in("carol")
    kept = [new_avatar(staying, "Stays 1"), new_avatar(staying, "Stays 2"), new_avatar(user, "Carol's")]
    gone = [new_avatar(leaving, "Left 1"), new_avatar(leaving, "Left 2")]
    ownerless = SavedAvatar.objects.create(name="From before accounts", gender="female", **preset("female"))
    SavedAvatar.objects.update(updated=timezone.now() - timedelta(days=3))  # update() skips auto_now
    Session.objects.filter(session_key=leaving.session.session_key).update(
        expire_date=timezone.now() - timedelta(minutes=1)
    )
    # Saved moments ago under a session that has just ended: within the grace period, so kept.
    fresh = new_avatar(leaving, "Saved just now")
    Session.objects.filter(session_key=leaving.session.session_key).update(
        expire_date=timezone.now() - timedelta(minutes=1)
    )

    def run(*arguments):
        out = io.StringIO()
        call_command("clear_visitor_avatars", *arguments, stdout=out)
        return out.getvalue().strip().splitlines()[-1]

    assert run("--dry-run") == "would delete 2 avatars of 1 visitor"
    assert SavedAvatar.objects.count() == 7
    assert run() == "deleted 2 avatars of 1 visitor"
    remaining = set(SavedAvatar.objects.values_list("pk", flat=True))
    assert remaining == {avatar.pk for avatar in kept + [ownerless, fresh]}
    assert not remaining & {avatar.pk for avatar in gone}
    page = staying.get(reverse("avatars:list")).content.decode()
    assert "Stays 1" in page and "Stays 2" in page  # a live visitor still has theirs
    assert run() == "deleted 0 avatars of 0 visitors"


def test_clearing_visitor_avatars_refuses_sessions_it_cannot_list(db, settings):
    from django.core.management import CommandError, call_command

    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    with pytest.raises(CommandError, match="not in the database"):
        call_command("clear_visitor_avatars")


# The two throttle tables as the project package's migrations made them, before the accounts app held them.
TABLES_BEFORE_THE_ACCOUNTS_APP = """
CREATE TABLE "emojify_site_loginfailure" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT,
    "username" varchar(150) NOT NULL, "ip" char(39) NULL, "at" datetime NOT NULL);
CREATE INDEX "emojify_site_loginfailure_username_8e6c3686" ON "emojify_site_loginfailure" ("username");
CREATE INDEX "emojify_site_loginfailure_ip_3b8d8144" ON "emojify_site_loginfailure" ("ip");
CREATE INDEX "emojify_site_loginfailure_at_bb79c490" ON "emojify_site_loginfailure" ("at");
CREATE TABLE "emojify_site_resetmailrequest" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT,
    "email" varchar(254) NOT NULL, "ip" char(39) NULL, "at" datetime NOT NULL);
CREATE INDEX "emojify_site_resetmailrequest_email_f7ec0e32" ON "emojify_site_resetmailrequest" ("email");
CREATE INDEX "emojify_site_resetmailrequest_ip_ac8f731e" ON "emojify_site_resetmailrequest" ("ip");
CREATE INDEX "emojify_site_resetmailrequest_at_ce301206" ON "emojify_site_resetmailrequest" ("at");
INSERT INTO "emojify_site_loginfailure" ("username", "ip", "at") VALUES ('victim', '10.0.0.1', '2026-12-01 00:00:00');
INSERT INTO "emojify_site_resetmailrequest" ("email", "ip", "at") VALUES ('a@example.com', NULL, '2026-12-01 00:00:00');
INSERT INTO "django_migrations" ("app", "name", "applied") VALUES
    ('emojify_site', '0001_login_failures', '2026-11-24 20:17:00'),
    ('emojify_site', '0002_reset_mail_requests', '2026-12-04 05:25:00');
UPDATE "django_content_type" SET "app_label" = 'emojify_site' WHERE "app_label" = 'accounts';
"""


def table_names(connection) -> set[str]:
    return {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_migrating_a_new_database_makes_the_accounts_tables(tmp_path):
    database = tmp_path / "new.sqlite3"
    result = manage("migrate", "--noinput", DATABASE_URL=f"sqlite:///{database}")
    assert result.returncode == 0, result.stdout + result.stderr
    with sqlite3.connect(database) as connection:
        tables = table_names(connection)
    assert {"accounts_loginfailure", "accounts_resetmailrequest"} <= tables
    assert not any(name.startswith("emojify_site_") for name in tables)


def test_migrating_a_database_from_before_the_accounts_app_keeps_its_rows(tmp_path):
    """A database migrated when the models were the project package's: its tables, rows and content types (with
    any permission given on them) become the accounts app's."""
    database = tmp_path / "old.sqlite3"
    url = f"sqlite:///{database}"
    for arguments in (("migrate", "--noinput"), ("migrate", "--noinput", "accounts", "zero")):
        result = manage(*arguments, DATABASE_URL=url)
        assert result.returncode == 0, result.stdout + result.stderr
    with sqlite3.connect(database) as connection:
        connection.executescript(TABLES_BEFORE_THE_ACCOUNTS_APP)
        content_types = dict(
            connection.execute("SELECT model, id FROM django_content_type WHERE app_label = 'emojify_site'")
        )
    assert set(content_types) == {"loginfailure", "resetmailrequest"}

    result = manage("migrate", "--noinput", DATABASE_URL=url)
    assert result.returncode == 0, result.stdout + result.stderr
    with sqlite3.connect(database) as connection:
        tables = table_names(connection)
        assert {"accounts_loginfailure", "accounts_resetmailrequest"} <= tables
        assert not any(name.startswith("emojify_site_") for name in tables)
        assert connection.execute("SELECT username, ip FROM accounts_loginfailure").fetchall() == [
            ("victim", "10.0.0.1")
        ]
        assert connection.execute("SELECT email FROM accounts_resetmailrequest").fetchall() == [("a@example.com",)]
        moved = dict(connection.execute("SELECT model, id FROM django_content_type WHERE app_label = 'accounts'"))
    assert moved == content_types
