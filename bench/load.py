"""Load generators: wrk (Debian's package) driven by a generated Lua script, and a small
Python equivalent with a bounded number of requests.

:func:`wrk` runs ``wrk --latency`` for a number of seconds over a list of requests
(method, path, body), cycled per connection thread, with fixed headers (the session
cookie, a bearer token).  Its Lua ``done`` hook prints one JSON line: requests,
duration, errors by kind (connect, read, write, timeout, non-2xx/3xx status) and the
50th and 99th latency percentiles, which :class:`Result` reads.  With ``distinct=True``
each request of the list is sent at most once (transitions: distinct documents); a
thread whose share is used up stops.

:func:`python_load` sends exactly ``count`` requests from ``clients`` threads over
``http.client`` and measures the same figures — used where wrk is missing, for the
memory scenario (a bounded count: wrk only knows durations) and by the smoke test.
"""
import http.client
import json
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Result:
    requests: int = 0
    seconds: float = 0.0
    errors: int = 0  # transport errors and statuses outside 2xx/3xx
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    statuses: dict = field(default_factory=dict)
    note: str = ""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


LUA = r"""
local items = %(items)s
local distinct = %(distinct)s
local threads, counter = {}, 1
wrk.headers = %(headers)s

function setup(thread)
  thread:set("id", counter)
  thread:set("count", %(threads)d)
  table.insert(threads, thread)
  counter = counter + 1
end

local i, id, count, statuses = 0, 1, 1, {}
function init(args)
  id, count = wrk.thread:get("id"), wrk.thread:get("count")
  i = id - 1
end

function request()
  local n = i %% #items + 1
  if distinct and i >= #items then
    wrk.thread:stop()
    return wrk.format("GET", "/favicon.ico")
  end
  i = i + count
  local item = items[n]
  return wrk.format(item[1], item[2], nil, item[3])
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format('WRKJSON {"requests": %%d, "duration_us": %%d, "connect": %%d, "read": %%d, ' ..
    '"write": %%d, "timeout": %%d, "status": %%d, "p50": %%d, "p99": %%d}\n',
    summary.requests, summary.duration, errors.connect, errors.read, errors.write, errors.timeout,
    errors.status, latency:percentile(50), latency:percentile(99)))
end
"""


def _lua_string(value: str) -> str:
    """A Lua string literal of ASCII text (percent-encode paths, send JSON with ensure_ascii)."""
    if not value.isascii():
        raise ValueError(f"not ASCII: {value!r}")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _lua_table(items) -> str:
    rows = []
    for method, path, body in items:
        rows.append("{%s, %s, %s}" % (_lua_string(method), _lua_string(path),
                                      _lua_string(body) if body is not None else "nil"))
    return "{" + ",\n".join(rows) + "}"


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def wrk(base_url: str, items, seconds: float, connections: int = 4, threads: int = 1, headers=None,
        distinct: bool = False, timeout: float = 10) -> Result:
    """Drive ``base_url`` with wrk for ``seconds``; ``items`` are (method, path, body-or-None)."""
    lua_headers = "{" + ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in (headers or {}).items()) + "}"
    script = LUA % {"items": _lua_table(items), "distinct": "true" if distinct else "false",
                    "headers": lua_headers, "threads": threads}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "load.lua"
        path.write_text(script, encoding="utf-8")
        out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
                              f"--timeout={timeout}s", "-s", str(path), base_url],
                             capture_output=True, text=True, check=True).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("WRKJSON "))
    data = json.loads(line[len("WRKJSON "):])
    errors = sum(data[k] for k in ("connect", "read", "write", "timeout", "status"))
    return Result(requests=data["requests"], seconds=data["duration_us"] / 1e6, errors=errors,
                  p50_ms=data["p50"] / 1000, p99_ms=data["p99"] / 1000)


def _hostport(base_url: str) -> tuple[str, int]:
    hostport = base_url.split("://", 1)[1].rstrip("/")
    host, _, port = hostport.partition(":")
    return host, int(port or 80)


def python_load(base_url: str, items, count: int, clients: int = 4, headers=None,
                distinct: bool = False) -> Result:
    """Send exactly ``count`` requests (fewer if ``distinct`` and ``items`` run out) from ``clients`` threads."""
    host, port = _hostport(base_url)
    lock = threading.Lock()
    latencies, statuses, state = [], {}, {"next": 0, "errors": 0}
    total = min(count, len(items)) if distinct else count

    def worker():
        while True:
            with lock:
                n = state["next"]
                if n >= total:
                    return
                state["next"] = n + 1
            method, path, body = items[n % len(items)]
            started = time.perf_counter()
            try:
                conn = http.client.HTTPConnection(host, port, timeout=30)
                conn.request(method, path, body=body.encode() if body is not None else None,
                             headers=headers or {})
                response = conn.getresponse()
                response.read()
                conn.close()
                status = response.status
            except OSError:
                status = 0
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1
                if not 200 <= status < 400:
                    state["errors"] += 1

    started = time.perf_counter()
    workers = [threading.Thread(target=worker) for _ in range(clients)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    seconds = time.perf_counter() - started
    latencies.sort()
    return Result(requests=len(latencies), seconds=seconds, errors=state["errors"],
                  p50_ms=statistics.median(latencies) * 1000 if latencies else 0.0,
                  p99_ms=latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000 if latencies else 0.0,
                  statuses=statuses)
