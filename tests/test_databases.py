"""The two databases the site runs on: every test that touches the database runs on SQLite and again on
PostgreSQL (`pytest --database postgresql`, make test's second pass, on the throw-away cluster of
testkit/postgres.py); the project's migrations run from an empty database and back on both; and bad database
settings stop manage.py with one line, never a traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from testkit.commands import manage
from testkit.live_http import free_port


def test_this_pass_runs_on_the_database_it_names(request, db):
    expected = "postgresql" if request.config.getoption("--database") == "postgresql" else "sqlite"
    assert connection.vendor == expected


def project_apps() -> list[str]:
    """The labels of this repository's apps that have migrations (not Django's own)."""
    base = Path(settings.BASE_DIR)
    return [
        app.label
        for app in apps.get_app_configs()
        if Path(app.path).is_relative_to(base) and (Path(app.path) / "migrations").is_dir()
    ]


@pytest.mark.django_db(transaction=True)
def test_the_project_s_migrations_run_from_an_empty_database_and_back():
    labels = project_apps()
    assert "avatars" in labels
    owned_tables = {model._meta.db_table for label in labels for model in apps.get_app_config(label).get_models()}
    executor = MigrationExecutor(connection)
    executor.migrate([(label, None) for label in labels])  # every one of ours undone: their tables gone
    assert not owned_tables & set(connection.introspection.table_names())
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # and from empty again
    assert owned_tables <= set(connection.introspection.table_names())
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def one_line(result) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr, result.stderr
    return result.stderr.strip()


@pytest.mark.parametrize(
    "url",
    [
        "mysql://emojify:secret@db.internal/emojify",
        "db.internal:5432/emojify",
        "postgre://emojify:secret@db.internal/emojify",
    ],
)
def test_a_database_url_of_the_wrong_scheme_is_one_line_naming_the_ones_that_work(url):
    line = one_line(manage("check", DATABASE_URL=url))
    assert "DATABASE_URL must start with postgres:// or sqlite:///" in line and "secret" not in line


@pytest.mark.parametrize(
    "command", [["migrate", "--noinput"], ["serve", "--bind", "127.0.0.1:1"], ["serve", "--port", "1"]]
)
def test_an_unreachable_database_is_one_line_at_start_up(command):
    """Nothing listens on the port the URL names: migrate, an app node and the one-machine stack each stop at
    once with one line saying where the database was looked for (not its password)."""
    url = f"postgres://emojify:secret@127.0.0.1:{free_port()}/emojify"
    line = one_line(manage(*command, DATABASE_URL=url))
    assert "cannot use the database at 127.0.0.1:" in line and "/emojify (DATABASE_URL)" in line
    assert "refused" in line and "secret" not in line


def test_a_bad_connection_age_is_one_line():
    assert "DATABASE_CONN_MAX_AGE must be a whole number" in one_line(manage("check", DATABASE_CONN_MAX_AGE="1m"))


def test_managed_postgresql_settings_come_from_the_url_and_the_environment():
    """TLS from the URL's query (sslmode, sslrootcert), the connection age from DATABASE_CONN_MAX_AGE, kept
    connections checked before use, and a connection timeout unless the URL gives one."""
    code = (
        "import django; django.setup(); from django.conf import settings; d = settings.DATABASES['default']; "
        "print(d['ENGINE'], d['HOST'], d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'], sorted(d['OPTIONS'].items()))"
    )
    url = "postgres://emojify:pw@db.example.com:5432/emojify?sslmode=verify-full&sslrootcert=/etc/ssl/db-ca.pem"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ
        | {"DJANGO_SETTINGS_MODULE": "emojify_site.settings", "DATABASE_URL": url, "DATABASE_CONN_MAX_AGE": "300"},
    )
    assert result.stdout.split(" ", 4) == [
        "django.db.backends.postgresql",
        "db.example.com",
        "300",
        "True",
        "[('connect_timeout', 10), ('sslmode', 'verify-full'), ('sslrootcert', '/etc/ssl/db-ca.pem')]\n",
    ], result.stderr


def test_nginx_in_front_of_several_app_nodes_takes_each_in_turn(tmp_path):
    from deploy.management.commands.serve import render_nginx_config

    config = render_nginx_config(
        prefix=tmp_path, listen="0.0.0.0:80", upstream=["10.0.0.2:8001", "10.0.0.3:8001"], api_rate=20, api_burst=40
    )
    upstream = config.split("upstream gunicorn {")[1].split("}")[0]
    servers = [line.strip() for line in upstream.splitlines() if line.strip().startswith("server ")]
    assert servers == [
        "server 10.0.0.2:8001 max_fails=1 fail_timeout=5s;",
        "server 10.0.0.3:8001 max_fails=1 fail_timeout=5s;",
    ]


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--bind", "127.0.0.1"], "--bind takes HOST:PORT"),
        (["--upstream", "10.0.0.2:http"], "--upstream takes HOST:PORT"),
        (["--bind", "127.0.0.1:8001", "--upstream", "10.0.0.2:8001"], "two machines' roles"),
        (["--balancer", "10.0.0.1"], "--balancer goes with --bind"),
    ],
)
def test_serve_s_roles_refuse_a_bad_address_in_one_line(arguments, message):
    assert message in one_line(manage("serve", *arguments))
