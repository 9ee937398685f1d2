"""A throwaway PostgreSQL cluster for the tests and for CI (standard library only).

The store's PostgreSQL/PostGIS backend is tested against a private server that this module
creates in a directory of its own, started in the background and stopped afterwards:

    cluster = start(base_dir)     # initdb + pg_ctl start -w; cluster.url is ready to use
    cluster.stop()                # pg_ctl stop -m fast, then nothing of it is left running

or from the shell (.ci/run does this before the virtualenv exists, hence no psycopg here):

    python3 tests/pgcluster.py start DIR   # prints postgresql://postgres@127.0.0.1:PORT/postgres
    python3 tests/pgcluster.py stop DIR
    python3 tests/pgcluster.py check       # exit status 0 when initdb and PostGIS are installed

Layout of DIR: ``data/`` (the cluster), ``log`` (the server's output), ``cluster.json`` (what
``stop`` needs). The server listens on 127.0.0.1 only, on a free port, with its Unix socket in
the data directory (never /var/run/postgresql), trust authentication, user ``postgres``, and
durability switched off (fsync, synchronous_commit, full_page_writes) since it is thrown away.

initdb refuses to run as root, so when run as root every PostgreSQL command runs as the
``postgres`` system user (``runuser``) and DIR is handed to that user; DIR and its parents must
then be reachable by ``postgres`` (a directory under /tmp is; pytest's /tmp/pytest-of-root is
not). Without a DIR, ``start()`` makes one under /tmp.
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SYSTEM_USER = "postgres"  # the account that runs the server when we are root
DB_USER = "postgres"  # the superuser created by initdb
HOST = "127.0.0.1"
START_TIMEOUT = 60  # seconds, for pg_ctl -w
STOP_TIMEOUT = 30
SOCKET_PATH_MAX = 100  # sun_path is 108 bytes on Linux; the socket is <data>/.s.PGSQL.<port>

SETTINGS = {
    "listen_addresses": f"'{HOST}'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "100",
}


class ClusterError(RuntimeError):
    pass


# --------------------------------------------------------------------------- installation


def _run_quiet(argv: list[str]) -> str | None:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _version_key(path: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in re.split(r"[./]", path) if p)


def find_bindir() -> Path | None:
    """PostgreSQL's server bin directory: `pg_config --bindir`, else the newest Debian one."""
    candidates: list[str] = []
    if shutil.which("pg_config"):
        bindir = _run_quiet(["pg_config", "--bindir"])
        if bindir:
            candidates.append(bindir)
    # /usr/bin/pg_config may come from libpq-dev and name a version whose server is absent.
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    for c in candidates:
        p = Path(c)
        if all((p / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return p
    return None


def find_sharedir(bindir: Path) -> Path | None:
    """The share directory of the server in `bindir` (where extension control files live)."""
    if (bindir / "pg_config").is_file():
        sharedir = _run_quiet([str(bindir / "pg_config"), "--sharedir"])
        if sharedir:
            return Path(sharedir)
    if bindir.parent.parent == Path("/usr/lib/postgresql"):  # Debian's layout
        return Path("/usr/share/postgresql") / bindir.parent.name
    return None


def available() -> tuple[bool, str]:
    """Whether a cluster with PostGIS can be started here, and if not, why not."""
    bindir = find_bindir()
    if bindir is None:
        return False, "no PostgreSQL server: no initdb via pg_config --bindir or /usr/lib/postgresql/*/bin"
    sharedir = find_sharedir(bindir)
    if sharedir is None or not (sharedir / "extension" / "postgis.control").is_file():
        return False, f"no PostGIS for the server in {bindir} (postgis.control not in {sharedir}/extension)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            return False, f"running as root and there is no {SYSTEM_USER!r} user to run the server"
        if not shutil.which("runuser"):
            return False, "running as root and runuser (util-linux) is missing"
    return True, f"PostgreSQL in {bindir}, PostGIS in {sharedir}/extension"


# --------------------------------------------------------------------------- processes


def _as_root() -> bool:
    return os.geteuid() == 0


def _env() -> dict[str, str]:
    """Our environment without PG* variables (PGDATA, PGPORT, ... would redirect the tools)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PG")}


def _cmd(argv: list[str], run_as: str | None) -> list[str]:
    return ["runuser", "-u", run_as, "--", *argv] if run_as else argv


def _run(argv: list[str], run_as: str | None, cwd: Path, timeout: float) -> subprocess.CompletedProcess:
    # Output to a file, not a pipe: nothing the server inherits can then keep a pipe open.
    with tempfile.TemporaryFile() as out:
        proc = subprocess.run(
            _cmd(argv, run_as),
            cwd=cwd,
            env=_env(),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            start_new_session=True,  # detached from the caller's terminal and process group
        )
        out.seek(0)
        proc.stdout = out.read().decode("utf-8", "replace")
    return proc


def _proc_info(pid: int) -> tuple[int, str, str, str] | None:
    """(parent pid, comm, cmdline, cwd) of a live process, from /proc; None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read().decode("utf-8", "replace")
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except OSError:
        return None
    try:
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except OSError:  # another user's process when we are not root
        cwd = ""
    comm = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    if fields[0] == "Z":  # a zombie is not running
        return None
    return int(fields[1]), comm, cmdline, cwd


def _is_postgres(comm: str, cmdline: str) -> bool:
    return comm.startswith(("postgres", "postmaster")) or cmdline.startswith("postgres")


def processes(data_dir: str | os.PathLike, postmaster_pid: int | None = None) -> list[int]:
    """Pids of the PostgreSQL processes of the cluster in `data_dir`: the postmaster (it names
    `data_dir` on its command line) and its children (they run in `data_dir`, and each is in a
    session of its own, so the postmaster's process group does not hold them)."""
    data = str(Path(data_dir).resolve())
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        info = _proc_info(int(entry))
        if info is None:
            continue
        ppid, comm, cmdline, cwd = info
        if not _is_postgres(comm, cmdline):
            continue
        if data in cmdline.split() or cwd == data or (postmaster_pid is not None and ppid == postmaster_pid):
            found.append(int(entry))
    return found


def _postmaster_pid(data_dir: Path) -> int | None:
    try:
        first = (data_dir / "postmaster.pid").read_text().split("\n", 1)[0].strip()
        return int(first)
    except (OSError, ValueError):
        return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _reachable_by(path: Path, user: str) -> str | None:
    """None when `user` can traverse every parent of `path`, else the first parent that blocks."""
    pw = pwd.getpwnam(user)
    groups = {pw.pw_gid, *(g for g in os.getgrouplist(user, pw.pw_gid))}
    for parent in reversed(path.resolve().parents):
        st = parent.stat()
        if st.st_uid == pw.pw_uid:
            ok = st.st_mode & stat.S_IXUSR
        elif st.st_gid in groups:
            ok = st.st_mode & stat.S_IXGRP
        else:
            ok = st.st_mode & stat.S_IXOTH
        if not ok:
            return f"{parent} (mode {stat.S_IMODE(st.st_mode):04o})"
    return None


# --------------------------------------------------------------------------- the cluster


@dataclass
class Cluster:
    base_dir: Path
    port: int
    bindir: Path
    run_as: str | None  # the system user running the server, None for ourselves

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def log_file(self) -> Path:
        return self.base_dir / "log"

    @property
    def url(self) -> str:
        return f"postgresql://{DB_USER}@{HOST}:{self.port}/postgres"

    @property
    def pid(self) -> int | None:
        """The postmaster's pid while it runs."""
        return _postmaster_pid(self.data_dir)

    def stop(self) -> None:
        stop(self.base_dir)

    def _save(self) -> None:
        state = {"port": self.port, "bindir": str(self.bindir), "run_as": self.run_as, "url": self.url}
        (self.base_dir / "cluster.json").write_text(json.dumps(state, indent=1) + "\n")

    @classmethod
    def load(cls, base_dir: str | os.PathLike) -> Cluster:
        base = Path(base_dir).resolve()
        try:
            state = json.loads((base / "cluster.json").read_text())
        except (OSError, ValueError):  # never fully started: stop what may run there anyway
            bindir = find_bindir()
            if bindir is None:
                raise ClusterError("no PostgreSQL installation found") from None
            return cls(base, 0, bindir, SYSTEM_USER if _as_root() else None)
        return cls(base, int(state["port"]), Path(state["bindir"]), state.get("run_as"))


def start(base_dir: str | os.PathLike | None = None) -> Cluster:
    """initdb a new cluster in `base_dir`/data and start it; returns once it accepts connections.

    `base_dir` must be empty or absent; None makes a fresh one under /tmp (mode 0755).
    """
    ok, reason = available()
    if not ok:
        raise ClusterError(reason)
    bindir = find_bindir()
    assert bindir is not None
    if base_dir is None:
        base_dir = tempfile.mkdtemp(prefix="incidentmap-pg-", dir="/tmp")
        os.chmod(base_dir, 0o755)
    base = Path(base_dir).resolve()
    base.mkdir(parents=True, exist_ok=True)
    if any(base.iterdir()):
        raise ClusterError(f"{base} is not empty")
    run_as = SYSTEM_USER if _as_root() else None
    if run_as:
        blocked = _reachable_by(base, run_as)
        if blocked:
            raise ClusterError(
                f"the {run_as} user cannot reach {base}: {blocked} is not traversable; "
                "use a directory under /tmp"
            )
        pw = pwd.getpwnam(run_as)
        os.chown(base, pw.pw_uid, pw.pw_gid)
    cluster = Cluster(base, 0, bindir, run_as)
    data = cluster.data_dir
    if len(str(data)) + len("/.s.PGSQL.65535") > SOCKET_PATH_MAX:
        raise ClusterError(f"{base} is too long a path for the server's Unix socket; use a shorter one")

    try:
        _initdb(cluster)
        with open(data / "postgresql.conf", "a") as f:
            f.write("\n# tests/pgcluster.py: a throwaway cluster\n")
            for key, value in {**SETTINGS, "unix_socket_directories": f"'{data}'"}.items():
                f.write(f"{key} = {value}\n")
        for _attempt in range(5):  # the free port may be taken before the server binds it
            cluster.port = _free_port()
            cluster._save()
            proc = _run(
                [str(bindir / "pg_ctl"), "start", "-w", "-t", str(START_TIMEOUT), "-D", str(data),
                 "-l", str(cluster.log_file), "-o", f"-p {cluster.port}"],
                run_as, base, START_TIMEOUT + 30,
            )
            if proc.returncode == 0:
                break
            log = cluster.log_file.read_text(errors="replace") if cluster.log_file.exists() else ""
            if "could not bind" not in log and "already in use" not in log:
                raise ClusterError(f"pg_ctl start failed:\n{proc.stdout}\n--- {cluster.log_file}:\n{log[-4000:]}")
        else:
            raise ClusterError(f"no free port after 5 attempts; see {cluster.log_file}")
        _wait_ready(cluster)
    except BaseException:
        try:
            stop(base)
        except Exception as exc:  # keep the original error
            print(f"pgcluster: could not stop after a failed start: {exc}", file=sys.stderr)
        raise
    return cluster


def _initdb(cluster: Cluster) -> None:
    data = cluster.data_dir
    last = None
    for locale in ("C.UTF-8", "C"):
        proc = _run(
            [str(cluster.bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", DB_USER,
             "--encoding", "UTF8", "--locale", locale, "--no-sync"],
            cluster.run_as, cluster.base_dir, 300,
        )
        if proc.returncode == 0:
            return
        last = proc.stdout
        if data.exists():  # ours (postgres') files, in a directory that is ours
            _run(["rm", "-rf", str(data)], cluster.run_as, cluster.base_dir, 60)
    raise ClusterError(f"initdb failed:\n{last}")


def _wait_ready(cluster: Cluster) -> None:
    """pg_ctl -w has seen the server ready; check it over TCP too, as the clients will connect."""
    isready = cluster.bindir / "pg_isready"
    if not isready.is_file():
        return
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        proc = _run([str(isready), "-q", "-h", HOST, "-p", str(cluster.port), "-U", DB_USER, "-d", "postgres"],
                    cluster.run_as, cluster.base_dir, 30)
        if proc.returncode == 0:
            return
        if time.monotonic() > deadline:
            raise ClusterError(f"server not accepting connections on {HOST}:{cluster.port}; see {cluster.log_file}")
        time.sleep(0.1)


def stop(base_dir: str | os.PathLike) -> None:
    """Stop the cluster in `base_dir` (pg_ctl stop -m fast) and make sure none of its processes
    are left; the files stay. Does nothing when it is not running."""
    cluster = Cluster.load(base_dir)
    data = cluster.data_dir
    pid = _postmaster_pid(data)
    if pid is not None and _proc_info(pid) is not None:
        _run([str(cluster.bindir / "pg_ctl"), "stop", "-D", str(data), "-m", "fast", "-w",
              "-t", str(STOP_TIMEOUT)], cluster.run_as, cluster.base_dir, STOP_TIMEOUT + 30)
    # Whatever pg_ctl left (it failed, timed out, or the postmaster died and left its children).
    leftover = processes(data, pid)
    if leftover:
        if pid in leftover and pid != os.getpgrp():
            try:
                os.killpg(pid, signal.SIGKILL)  # pg_ctl made the postmaster a group leader
            except (ProcessLookupError, PermissionError):
                pass
        for p in leftover:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 10
        while processes(data, pid) and time.monotonic() < deadline:
            time.sleep(0.05)
    left = processes(data, pid)
    if left:
        raise ClusterError(f"PostgreSQL processes still running from {data}: {left}")


# --------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_start = sub.add_parser("start", help="initdb and start a cluster in DIR; print its URL")
    p_start.add_argument("dir")
    p_stop = sub.add_parser("stop", help="stop the cluster in DIR")
    p_stop.add_argument("dir")
    sub.add_parser("check", help="exit status 0 when PostgreSQL and PostGIS are installed")
    args = parser.parse_args(argv)

    try:
        if args.command == "check":
            ok, reason = available()
            print(reason, file=sys.stderr if not ok else sys.stdout)
            return 0 if ok else 1
        if args.command == "start":
            print(start(args.dir).url, flush=True)
        else:
            stop(args.dir)
    except ClusterError as exc:
        print(f"pgcluster {args.command}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
