#!/usr/bin/env bash
# Smoke test of the INSTALLED package, run outside the checkout (the test suite imports from the checkout):
# `artemis server start` serves, stores a management write, and exits 0 on SIGTERM.
set -euo pipefail
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cd "$work"
artemis server start --addr "127.0.0.1:$port" --data-dir "$work/data" > "$work/server.log" 2>&1 &
pid=$!
python3 - "$port" <<'PY'
import json, sys, time, urllib.request
base = f"http://127.0.0.1:{sys.argv[1]}"
def post(path, body):
    req = urllib.request.Request(base + path, json.dumps(body).encode(), {"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req, timeout=5))
for _ in range(100):
    try:
        urllib.request.urlopen(base + "/health", timeout=1)
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("server did not come up")
key = {"regionId": "default", "serviceId": "smoke", "instanceId": "s1"}
doc = post("/api/management/instance/operate-instance.json",
           {"instanceKey": key, "operation": "pullout", "operationComplete": True, "operatorId": "ci"})
assert doc["responseStatus"]["status"] == "success", doc
logs = json.load(urllib.request.urlopen(base + "/api/management/audit/logs", timeout=5))
assert logs["data"][0]["operatorId"] == "ci", logs
print("smoke: installed server serves, stores and audits")
PY
kill -TERM "$pid"
wait "$pid" || { echo "server exited non-zero"; cat "$work/server.log"; exit 1; }
rm -rf "$work"
