"""`incidentmap serve` stops its Streamlit child when it is itself stopped (SIGTERM)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from conftest import ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True).stdout.strip()
    return bool(state) and not state.startswith("Z")


def _listening(port: int) -> set[str]:
    """The local addresses with a socket listening on `port` (Linux /proc/net/tcp and tcp6)."""
    out = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            next(f)
            for line in f:
                local, state = line.split()[1], line.split()[3]
                addr, p = local.rsplit(":", 1)
                if state == "0A" and int(p, 16) == port:  # 0A: LISTEN
                    if len(addr) == 8:
                        out.add(".".join(str(b) for b in reversed(bytes.fromhex(addr))))
                    else:
                        out.add("::" if int(addr, 16) == 0 else addr)
    return out


def test_sigterm_stops_the_streamlit_child(tmp_path):
    port = _free_port()
    env = dict(os.environ, INCIDENTMAP_HOME=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-m", "incidents.cli", "serve", "--headless", "--port", str(port)],
                            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        children = _children(proc.pid)
        assert children, "serve started no Streamlit child"
        # single-user mode listens on this machine only, not on every interface
        assert _listening(port) == {"127.0.0.1"}
        proc.send_signal(signal.SIGTERM)  # the wrapper only, as a service manager would
        t = time.time()
        assert proc.wait(20) == 128 + signal.SIGTERM
        assert time.time() - t < 8, "serve took the kill timeout to stop: its child ignored SIGTERM"
        time.sleep(0.5)
        assert not any(_alive(c) for c in children), "Streamlit outlived `incidentmap serve`"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(5)
