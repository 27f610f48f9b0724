"""The shipped systemd unit, sysusers and tmpfiles snippets, checked with systemd's own tools."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from archiver.settings import DaemonSettings, SourceSettings, parse_duration, parse_settings

REPO = Path(__file__).resolve().parents[2]
UNITS = REPO / "systemd"
SERVICE = UNITS / "archiver.service"
SYSUSERS = UNITS / "archiver.sysusers"
TMPFILES = UNITS / "archiver.tmpfiles"
RECONCILE = UNITS / "archiver-reconcile.service"
RECONCILE_TIMER = UNITS / "archiver-reconcile.timer"
OPERATIONS = REPO / "docs" / "operations.md"
INSTALLED_BINARY = "/opt/archiver/bin/archiver"
MAX_EXPOSURE = 2.0
ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed")

_UNIT_SUFFIXES = r"service|socket|target|timer|mount|automount|path|slice|scope|swap|device"
_OTHER_UNIT = re.compile(rf"[\w@.\\-]+\.(?:{_UNIT_SUFFIXES})\b")
_SPAN_UNITS = {
    "us": 1e-6, "usec": 1e-6, "ms": 1e-3, "msec": 1e-3, "s": 1.0, "sec": 1.0, "second": 1.0,
    "seconds": 1.0, "m": 60.0, "min": 60.0, "minute": 60.0, "minutes": 60.0, "h": 3600.0,
    "hr": 3600.0, "hour": 3600.0, "hours": 3600.0, "d": 86400.0, "day": 86400.0,
    "days": 86400.0,
}  # fmt: skip


def unit_settings(path: Path) -> dict[str, list[str]]:
    """Every `Section.Key` of a unit file and its values in order (keys may repeat)."""
    out: dict[str, list[str]] = {}
    section = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, _, value = line.partition("=")
        out.setdefault(f"{section}.{key.strip()}", []).append(value.strip())
    return out


def one(settings: dict[str, list[str]], key: str) -> str:
    """The value of a key that must be set once in the unit."""
    values = settings.get(key, [])
    assert len(values) == 1, f"{key} must be set exactly once in {SERVICE.name}, found {values}"
    return values[0]


def timespan_seconds(text: str) -> float:
    """Seconds in a systemd time span such as "15min", "2min 30s" or "120"."""
    total = 0.0
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]*)", text.strip()):
        total += float(number) * _SPAN_UNITS[unit or "s"]
    return total


def snippet_lines(path: Path) -> list[list[str]]:
    """The fields of each non-comment line of a sysusers.d or tmpfiles.d snippet."""
    rows = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            rows.append(re.findall(r'"[^"]*"|\S+', line))
    return rows


def verifiable_copy(tmp_path: Path, unit: Path = SERVICE) -> Path:
    """The unit in `tmp_path`, ExecStart pointing at this venv's archiver (verify needs one)."""
    binary = Path(sys.executable).parent / "archiver"
    assert binary.exists(), f"{binary} is missing: install the package (make install)"
    text = unit.read_text(encoding="utf-8")
    assert f"ExecStart={INSTALLED_BINARY} " in text
    copy = tmp_path / unit.name
    copy.write_text(text.replace(f"ExecStart={INSTALLED_BINARY} ", f"ExecStart={binary} "))
    return copy


def analyze(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert ANALYZE is not None
    env = {**os.environ, "SYSTEMD_COLORS": "0", "SYSTEMD_PAGER": "", "LC_ALL": "C.UTF-8"}
    return subprocess.run(
        [ANALYZE, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def about_this_unit(line: str, names: tuple[str, ...] = (SERVICE.name,)) -> bool:
    """Whether a line of systemd-analyze output may concern our units (not another one)."""
    others = [u for u in _OTHER_UNIT.findall(line) if u not in names]
    return any(name in line for name in names) or not others


@needs_analyze
def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path) -> None:
    unit = verifiable_copy(tmp_path)
    result = analyze("verify", "--man=no", f"./{unit.name}", cwd=tmp_path)
    output = (result.stdout + result.stderr).strip()
    complaints = [line for line in output.splitlines() if about_this_unit(line)]
    assert result.returncode == 0, output
    assert not complaints, "\n".join(complaints)


@needs_analyze
def test_verify_notices_a_broken_unit(tmp_path: Path) -> None:
    """The check above would catch a typo: systemd-analyze reports it on stderr."""
    unit = verifiable_copy(tmp_path)
    unit.write_text(unit.read_text().replace("ProtectSystem=strict", "ProtectSytem=strict"))
    result = analyze("verify", "--man=no", f"./{unit.name}", cwd=tmp_path)
    assert any(
        "ProtectSytem" in line and about_this_unit(line) for line in result.stderr.splitlines()
    ), result.stderr


@needs_analyze
@pytest.mark.parametrize(
    "unit", ["archiver.service", "archiver-reconcile.service", "archiver-web.service"]
)
def test_security_exposure_is_low(tmp_path: Path, unit: str) -> None:
    copy = verifiable_copy(tmp_path, UNITS / unit)
    result = analyze("security", "--offline=true", f"./{copy.name}", cwd=tmp_path)
    output = result.stdout + result.stderr
    if result.returncode != 0 and re.search(r"(unrecognized|unknown) option", output):
        pytest.skip(f"this systemd-analyze has no --offline: {output.strip()}")
    found = re.search(r"Overall exposure level for \S+: (\d+(?:\.\d+)?)", output)
    assert found, output
    assert float(found.group(1)) <= MAX_EXPOSURE, output


def test_the_unit_has_what_an_administrator_relies_on() -> None:
    s = unit_settings(SERVICE)
    assert one(s, "Service.Type") == "notify"
    assert one(s, "Service.NotifyAccess") == "main"
    assert one(s, "Service.ExecStart").split() == [
        INSTALLED_BINARY, "--config", "/etc/archiver/archiver.toml", "run",
    ]  # fmt: skip
    assert one(s, "Service.ExecReload") == "/bin/kill -HUP $MAINPID"
    assert one(s, "Service.Restart") == "on-failure"
    assert one(s, "Service.User") == "archiver"
    assert one(s, "Service.Group") == "archiver"
    assert "Service.DynamicUser" not in s, "a dedicated user owns /var/lib/archiver"
    assert one(s, "Service.ProtectSystem") == "strict"
    assert one(s, "Service.NoNewPrivileges") == "yes"
    assert one(s, "Service.MemoryDenyWriteExecute") == "yes"
    assert one(s, "Service.KillMode") == "mixed", "SIGTERM to the daemon only, not its workers"
    assert one(s, "Service.StateDirectory") == "archiver"
    assert one(s, "Service.StateDirectoryMode") == "0700"
    assert one(s, "Service.ConfigurationDirectory") == "archiver"
    assert one(s, "Service.ConfigurationDirectoryMode") == "0750"
    assert one(s, "Service.CapabilityBoundingSet") == ""
    assert sorted(s.get("Service.LoadCredential", [])) == [
        "keys:/etc/archiver/keys",
        "secrets:/etc/archiver/secrets",
    ]
    assert one(s, "Install.WantedBy") == "multi-user.target"


def test_watchdog_outlasts_a_default_cycle_and_the_documented_backoff() -> None:
    """WatchdogSec > interval + timeout + jitter, and > the max_backoff the docs set."""
    watchdog = timespan_seconds(one(unit_settings(SERVICE), "Service.WatchdogSec"))
    source, daemon = SourceSettings(), DaemonSettings()
    jitter = parse_duration(daemon.jitter)
    assert watchdog > source.interval_seconds + source.timeout_seconds + jitter
    documented = re.search(r'^max_backoff = "([^"]+)"', OPERATIONS.read_text(), re.MULTILINE)
    assert documented, f"{OPERATIONS.name} must set daemon.max_backoff for the watchdog"
    backoff = parse_duration(documented.group(1))
    assert watchdog > backoff + source.timeout_seconds + jitter


def test_sysusers_creates_the_user_the_unit_runs_as() -> None:
    rows = snippet_lines(SYSUSERS)
    assert [r[:3] for r in rows] == [["u", "archiver", "-"]]
    assert rows[0][4] == "/var/lib/archiver"


def test_tmpfiles_gives_each_directory_its_owner_and_mode() -> None:
    rows = {(r[0], r[1]): r[2:5] for r in snippet_lines(TMPFILES)}
    assert rows[("d", "/etc/archiver")] == ["0750", "root", "archiver"]
    assert rows[("d", "/etc/archiver/keys")] == ["0710", "root", "archiver"]
    assert rows[("d", "/etc/archiver/keys/cohorts")] == ["0700", "archiver", "archiver"]
    assert rows[("Z", "/etc/archiver/keys/cohorts")] == ["-", "archiver", "archiver"]
    assert rows[("d", "/etc/archiver/secrets")] == ["0700", "root", "root"]
    assert rows[("d", "/var/lib/archiver")] == ["0700", "archiver", "archiver"]
    s = unit_settings(SERVICE)
    for credential in s["Service.LoadCredential"]:
        assert ("d", credential.split(":", 1)[1]) in rows
    # The one place in /etc the service writes: the cohort keys it makes (archive/cohorts.py).
    writable = [p.lstrip("-") for p in s["Service.ReadWritePaths"]]
    assert writable == ["/etc/archiver/keys/cohorts"]
    assert ("d", writable[0]) in rows


@pytest.mark.skipif(
    shutil.which("systemd-sysusers") is None or shutil.which("systemd-tmpfiles") is None,
    reason="systemd-sysusers or systemd-tmpfiles is not installed",
)
@pytest.mark.skipif(os.geteuid() != 0, reason="systemd-tmpfiles must run as root to chown")
def test_sysusers_and_tmpfiles_build_the_layout(tmp_path: Path) -> None:
    """Apply both snippets to an empty root directory, as a fresh install would."""
    root = tmp_path / "root"
    for d in ("etc", "usr/lib/sysusers.d", "usr/lib/tmpfiles.d", "var/lib"):
        (root / d).mkdir(parents=True)
    for f in ("passwd", "group", "shadow", "gshadow"):
        (root / "etc" / f).touch()
    shutil.copy(SYSUSERS, root / "usr/lib/sysusers.d/archiver.conf")
    shutil.copy(TMPFILES, root / "usr/lib/tmpfiles.d/archiver.conf")
    for cmd in (["systemd-sysusers"], ["systemd-tmpfiles", "--create"]):
        done = subprocess.run(
            [*cmd, f"--root={root}", "archiver.conf"], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0 and "archiver.conf" not in done.stderr, done.stderr
    passwd = (root / "etc/passwd").read_text().split(":")
    assert passwd[0] == "archiver" and passwd[5] == "/var/lib/archiver"
    uid, gid = int(passwd[2]), int(passwd[3])
    assert uid < 1000, "a system user"

    def mode_owner(rel: str) -> tuple[int, int, int]:
        st = (root / rel).stat()
        return st.st_mode & 0o7777, st.st_uid, st.st_gid

    assert mode_owner("etc/archiver") == (0o750, 0, gid)
    assert mode_owner("etc/archiver/keys") == (0o710, 0, gid)
    assert mode_owner("etc/archiver/keys/cohorts") == (0o700, uid, gid)
    assert mode_owner("etc/archiver/secrets") == (0o700, 0, 0)
    assert mode_owner("var/lib/archiver") == (0o700, uid, gid)

    # A cohort key that root wrote (say, restored from its backup) is handed back too.
    restored = root / "etc/archiver/keys/cohorts/cohort-CORR-GEN-202712-3fa9c2.key"
    restored.write_bytes(b"")
    os.chown(restored, 0, 0)

    # A database root made by hand is handed back to the service; the config becomes 0640.
    db = root / "var/lib/archiver/archive.db"
    db.write_bytes(b"")
    os.chown(db, 0, 0)
    config = root / "etc/archiver/archiver.toml"
    config.write_text("")
    config.chmod(0o600)
    subprocess.run(
        ["systemd-tmpfiles", "--create", f"--root={root}", "archiver.conf"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    assert (db.stat().st_uid, db.stat().st_gid) == (uid, gid)
    assert (restored.stat().st_uid, restored.stat().st_gid) == (uid, gid)
    assert mode_owner("etc/archiver/archiver.toml") == (0o640, 0, gid)


def test_the_configs_in_the_operations_guide_are_valid() -> None:
    """Each TOML example in docs/operations.md parses with the settings schema."""
    blocks = re.findall(r"```toml\n(.*?)```", OPERATIONS.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) >= 4, "the install config and the Google, M365 and password sources"
    for block in blocks:
        parse_settings(block, OPERATIONS)


# The reconcile service and its timer ----------------------------------------------------------

_NOT_SANDBOXING = {"Type", "NotifyAccess", "ExecStart", "ExecReload", "WatchdogSec", "Restart",
                   "RestartSec", "RestartPreventExitStatus", "TimeoutStartSec", "KillMode",
                   "TimeoutStopSec", "Nice", "IOSchedulingClass"}  # fmt: skip


def assert_confined_like_the_daemon(unit: Path) -> None:
    """Same user, credentials, directories and sandbox as archiver.service, key for key."""
    s, daemon = unit_settings(unit), unit_settings(SERVICE)
    for key, values in daemon.items():
        if key.startswith("Service.") and key.removeprefix("Service.") not in _NOT_SANDBOXING:
            assert s.get(key) == values, f"{unit.name}: {key} differs from {SERVICE.name}"


@needs_analyze
def test_systemd_analyze_verify_accepts_the_reconcile_service_and_timer(tmp_path: Path) -> None:
    service = verifiable_copy(tmp_path, RECONCILE)
    timer = tmp_path / RECONCILE_TIMER.name
    shutil.copy(RECONCILE_TIMER, timer)
    result = analyze("verify", "--man=no", f"./{service.name}", f"./{timer.name}", cwd=tmp_path)
    output = (result.stdout + result.stderr).strip()
    names = (RECONCILE.name, RECONCILE_TIMER.name)
    complaints = [line for line in output.splitlines() if about_this_unit(line, names)]
    assert result.returncode == 0, output
    assert not complaints, "\n".join(complaints)


def test_reconcile_service_runs_reconcile_as_the_daemon_runs_and_is_as_confined() -> None:
    s = unit_settings(RECONCILE)
    assert one(s, "Service.Type") == "oneshot"
    command = one(s, "Service.ExecStart").split()
    assert command[:4] == [INSTALLED_BINARY, "--config", "/etc/archiver/archiver.toml", "reconcile"]
    wait = parse_duration(command[command.index("--wait") + 1])
    assert wait > parse_duration(DaemonSettings().lease), "outlasts a dead daemon's lease"
    assert_confined_like_the_daemon(RECONCILE)


def test_reconcile_timer_starts_the_service_and_catches_up_missed_runs() -> None:
    t = unit_settings(RECONCILE_TIMER)
    assert one(t, "Timer.OnCalendar") and one(t, "Timer.Persistent") == "true"
    assert t.get("Timer.Unit", [RECONCILE.name]) == [RECONCILE.name]
    assert one(t, "Install.WantedBy") == "timers.target"


WEB = UNITS / "archiver-web.service"


@needs_analyze
def test_systemd_analyze_verify_accepts_the_web_service(tmp_path: Path) -> None:
    service = verifiable_copy(tmp_path, WEB)
    result = analyze("verify", "--man=no", f"./{service.name}", cwd=tmp_path)
    output = (result.stdout + result.stderr).strip()
    complaints = [line for line in output.splitlines() if about_this_unit(line, (WEB.name,))]
    assert result.returncode == 0, output
    assert not complaints, "\n".join(complaints)


def test_web_service_serves_the_web_application_as_the_daemon_runs_and_is_as_confined() -> None:
    s = unit_settings(WEB)
    command = one(s, "Service.ExecStart").split()
    assert command == [INSTALLED_BINARY, "--config", "/etc/archiver/archiver.toml", "web"]
    assert one(s, "Install.WantedBy") == "multi-user.target"
    assert_confined_like_the_daemon(WEB)
