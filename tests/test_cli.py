"""The command line: answers equal to the API's, documented exit codes, never a traceback."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from app.cli import cli
from tests.conftest import Database
from tests.live_server import free_port

ROOT = Path(__file__).resolve().parent.parent
UNREACHABLE = "postgresql://postgres@127.0.0.1:1/x"


def invoke(db_url: str, *args: str, **env: str):
    result = CliRunner().invoke(cli, list(args), env={"DATABASE_URL": db_url, **env})
    assert "Traceback" not in result.output + result.stderr
    return result


def run(*args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
    """errcat as a separate process, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def one_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


# --- help and version ---------------------------------------------------------------------------


def test_version_is_the_package_version():
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"errcat {version('errcat')}\n"


def test_help_names_the_environment_and_the_exit_codes():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for text in ("DATABASE_URL", "WEB_CONCURRENCY", "LOG_LEVEL", "ERRCAT_SEED", "Exit codes:"):
        assert text in result.stdout
    for command in ("migrate", "seed", "plan", "report", "revisions", "changes", "lookup"):
        assert command in result.stdout


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("migrate", "DATABASE_URL"),
        ("seed", "--force"),
        ("plan", "--json"),
        ("report", "--json"),
        ("revisions", "--json"),
        ("changes", "--from"),
        ("lookup", "--namespace"),
        ("serve", "WEB_CONCURRENCY"),
        ("transcribe", "--out"),
    ],
)
def test_every_command_has_help(command, expected):
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert expected in result.stdout and "Exit codes:" in result.stdout


# --- answers equal to the API's -----------------------------------------------------------------


@pytest.mark.parametrize("code", ["1205", "10503"])
def test_lookup_json_is_the_api_body(client, seeded_db, code):
    result = invoke(seeded_db.url, "lookup", code, "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == client.get(f"/codes/{code}").json()


def test_lookup_text_lists_every_entry(seeded_db):
    result = invoke(seeded_db.url, "lookup", "10503")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "10503  ServiceUnavailable  503  HTTP (platform)  HTTP_ServiceUnavailable",
        "    Service temporarily unavailable",
        "10503  BadState  422  HTTP (platform)  HTTP_BadState",
        "    Invalid system state",
        "ranges: 10000-10999 (HTTP)",
    ]


def test_lookup_narrows_to_a_namespace(client, seeded_db):
    result = invoke(seeded_db.url, "lookup", "2", "--namespace", "thermos", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == client.get("/codes/2?namespace=thermos").json()


@pytest.mark.parametrize("path", ["/codes/1810", "/codes/1450", "/codes/2?namespace=platform"])
def test_an_undocumented_code_exits_1_with_the_apis_message_and_fix(client, seeded_db, path):
    code, _, namespace = path.removeprefix("/codes/").partition("?namespace=")
    args = ["lookup", code, *(["--namespace", namespace] if namespace else [])]
    api = client.get(path).json()["error"]
    text = invoke(seeded_db.url, *args)
    assert text.exit_code == 1 and text.stdout == ""
    assert one_line(text.stderr) == f"errcat: {api['message']}. {api['suggested_fix']}"
    as_json = invoke(seeded_db.url, *args, "--json")
    assert as_json.exit_code == 1
    # The API's envelope, but for the request id: the command line has no request.
    assert json.loads(as_json.stdout) == {
        "error": {k: v for k, v in api.items() if k != "request_id"}
    }


def test_report_revisions_and_changes_json_are_the_api_bodies(client, seeded_db):
    report = invoke(seeded_db.url, "report", "--json")
    assert report.exit_code == 1  # the page contradicts itself: the report has errors
    assert json.loads(report.stdout) == client.get("/catalogue/report").json()
    revisions = invoke(seeded_db.url, "revisions", "--json")
    assert revisions.exit_code == 0
    assert json.loads(revisions.stdout) == client.get("/catalogue/revisions").json()
    changes = invoke(seeded_db.url, "changes", "--from", "1", "--json")
    assert changes.exit_code == 0
    assert json.loads(changes.stdout) == client.get("/catalogue/changes?from=1").json()


def test_plan_json_of_the_seeded_file_changes_nothing(seeded_db, tmp_path):
    # seeded_db holds the page alone: no amendments file (one that does not exist) to compare
    result = invoke(seeded_db.url, "plan", "--json", "--amendments", str(tmp_path / "none.json"))
    assert result.exit_code == 0
    diff = json.loads(result.stdout)
    assert (diff["has_changes"], diff["is_breaking"]) == (False, False)


def test_an_unknown_revision_exits_1(seeded_db):
    result = invoke(seeded_db.url, "changes", "--from", "99")
    assert result.exit_code == 1
    assert one_line(result.stderr) == "errcat: no revision 99 (errcat revisions lists them)"


# --- the database not there or not ready: exit 3, one line --------------------------------------


def test_unreachable_postgres_is_exit_3_in_one_line():
    for command in (["report"], ["migrate"], ["seed"], ["lookup", "1205"]):
        result = run(*command, DATABASE_URL=UNREACHABLE)
        assert result.returncode == 3, result.stderr
        line = one_line(result.stderr)
        assert line.startswith("errcat: cannot use the database at postgresql+asyncpg://")
        assert "127.0.0.1:1" in line


def test_a_missing_postgres_database_is_exit_3_in_one_line(tmp_path):
    db = Database("postgres", tmp_path)  # skipped (or failed in CI) without PostgreSQL
    try:
        missing = db.url.rsplit("/", 1)[0] + "/errcat_no_such_database"
        result = invoke(missing, "revisions")
        assert result.exit_code == 3
        assert 'database "errcat_no_such_database" does not exist' in one_line(result.stderr)
    finally:
        db.close()


def test_an_unmigrated_database_is_exit_3_saying_run_migrate(fresh_db):
    empty_db = fresh_db
    if empty_db.backend == "sqlite":
        path = empty_db.url.removeprefix("sqlite+aiosqlite:///")
        missing = invoke(empty_db.url, "report")  # no file yet: none is created
        assert missing.exit_code == 3 and not Path(path).exists()
        assert one_line(missing.stderr) == f"errcat: no database file at {path}: run errcat migrate"
        sqlite3.connect(path).close()  # an empty database file
    result = invoke(empty_db.url, "report")
    assert result.exit_code == 3
    line = one_line(result.stderr)
    assert "is not migrated" in line and line.endswith("run errcat migrate")


def test_a_database_without_a_catalogue_is_exit_3_saying_run_seed(fresh_db):
    assert invoke(fresh_db.url, "migrate").exit_code == 0
    result = invoke(fresh_db.url, "lookup", "1205")
    assert result.exit_code == 3
    assert one_line(result.stderr) == "errcat: the database holds no catalogue yet: run errcat seed"


# --- usage and configuration: exit 2, one line --------------------------------------------------


@pytest.mark.parametrize(
    ("env", "command"),
    [
        ({"METRICS": "disable"}, ["report"]),
        ({"ACCESS_LOG": "enabled"}, ["serve"]),
        ({"LOG_LEVEL": "verbose"}, ["serve"]),
        ({"WEB_CONCURRENCY": "many"}, ["serve"]),
        ({"ERRCAT_SEED": "nope"}, ["transcribe", "seeds/source/composio-error-codes.txt"]),
    ],
)
def test_an_invalid_environment_variable_stops_every_command_in_one_line(env, command, tmp_path):
    ((name, value),) = env.items()
    result = run(*command, timeout=60, DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}", **env)
    assert result.returncode == 2
    line = one_line(result.stderr)
    expected = f"{name}={value!r} is not accepted: expected "
    if command == ["serve"]:  # serve's every line is a JSON log line, this one too
        record = json.loads(line)
        assert record["level"] == "error" and record["message"].startswith(expected)
    else:
        assert line.startswith(f"errcat: {expected}")
    assert result.stdout == ""


def test_transcribe_of_a_missing_file_is_a_usage_error():
    result = run("transcribe", "/nonexistent.txt")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "'/nonexistent.txt' does not exist" in result.stderr


@pytest.mark.parametrize("text", ["", "hello\n", "Error Codes by Service\n| Code |\n"])
def test_transcribe_of_a_page_that_is_not_the_vendors_writes_nothing(tmp_path, text):
    page, out = tmp_path / "page.txt", tmp_path / "out.json"
    page.write_text(text)
    result = invoke("sqlite:///unused.db", "transcribe", str(page), "--out", str(out))
    assert result.exit_code == 2 and not out.exists()
    assert one_line(result.stderr).startswith("errcat: ")


def test_a_closed_output_pipe_ends_quietly(tmp_path):
    db = Database("sqlite", tmp_path)
    db.migrate_and_seed()
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before errcat writes: `errcat report | head -0`
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "app.cli", "report", "--json"],
            env={**os.environ, "DATABASE_URL": db.url},
            cwd=ROOT,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert proc.returncode == 141
    assert proc.stderr == ""


# --- logs: JSON lines from the first -------------------------------------------------------------


def _json_lines(stderr: str) -> list[dict]:
    lines = stderr.splitlines()
    assert lines
    return [json.loads(line) for line in lines]  # raises on any line that is not JSON


def test_migrate_and_seed_log_only_json_lines(tmp_path):
    url = f"sqlite:///{tmp_path / 'errcat.db'}"
    migrated = run("migrate", DATABASE_URL=url)
    assert migrated.returncode == 0
    logs = _json_lines(migrated.stderr)
    assert any(line["message"].startswith("Running upgrade") for line in logs)
    seeded = run("seed", DATABASE_URL=url)
    assert seeded.returncode == 0
    assert seeded.stdout.startswith("catalogue seeded: revision 1")
    assert all(json.loads(line) for line in seeded.stderr.splitlines())


def test_serve_logs_only_json_lines_from_start_up(tmp_path):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'errcat.db'}", "PORT": str(port)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90  # a bound on waiting, not a measurement
        ready = False
        while not ready and time.monotonic() < deadline and proc.poll() is None:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/ready").status_code == 200
            except httpx.TransportError:
                time.sleep(0.2)
        assert ready, "errcat serve did not become ready"
    finally:
        proc.terminate()
        stdout, stderr = proc.communicate(timeout=30)
    assert stdout == ""
    logs = _json_lines(stderr)
    messages = [line["message"] for line in logs]
    assert any(m.startswith("Running upgrade") for m in messages)
    assert "catalogue seeded: revision 1, content " in "\n".join(messages)
    assert any(m.startswith("Uvicorn running on") for m in messages)


def test_serve_with_the_database_unreachable_retries_then_gives_up_in_json_with_exit_3():
    # serve retries with backoff while the database is away (app.startup); STARTUP_TIMEOUT bounds
    # the wait, after which it exits 3, every line JSON and no traceback.
    result = run("serve", DATABASE_URL=UNREACHABLE, PORT=str(free_port()), STARTUP_TIMEOUT="1")
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    records = [json.loads(line) for line in result.stderr.splitlines()]
    assert records[0]["level"] == "warning" and "retrying" in records[0]["message"]
    assert records[-1]["level"] == "error"
    assert "migration failed" in records[-1]["message"]


def test_serve_on_an_unmigrated_database_with_migrations_off_exits_3_at_once(tmp_path):
    # Waiting does not migrate a database: with ERRCAT_MIGRATE=0 it is a state to report.
    db = tmp_path / "empty.db"
    db.touch()
    result = run("serve", DATABASE_URL=f"sqlite:///{db}", ERRCAT_MIGRATE="0", PORT=str(free_port()))
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert "retrying" not in result.stderr
