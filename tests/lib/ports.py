"""Free loopback ports for test servers.

Suites run in parallel (ctest -j), each starting servers on ports it picked a moment
earlier. A port from bind(("127.0.0.1", 0)) comes from the kernel's ephemeral range,
the same range every outgoing connection (probes, scrapes, database clients) takes
its local port from, so between the pick and the server's own bind another process's
connection could take it ("Address already in use", seen with PostgreSQL). Ports are
therefore picked at random below the ephemeral range, where no connection's local
port ever lands, and checked by binding them once.
"""
import random
import socket

_FALLBACK_EPHEMERAL_LOW = 32768
_LOWEST = 10000


def _ephemeral_low() -> int:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return _FALLBACK_EPHEMERAL_LOW


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def free_port() -> int:
    high = _ephemeral_low()
    if high - _LOWEST >= 1000:
        for _ in range(200):
            port = random.randrange(_LOWEST, high)
            if _bindable(port):
                return port
    # A machine whose ephemeral range starts low: let the kernel choose.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 30.0, host: str = "127.0.0.1") -> bool:
    """True once something accepts on host:port, False after timeout seconds."""
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False
