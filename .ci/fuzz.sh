#!/usr/bin/env bash
# The outside fuzzer (issue 15): schemathesis against the node's own OpenAPI document (/schema/openapi.json),
# one `artemis server start` node on loopback, management open (the default: the widest surface), the rate
# limiter off (it would answer most generated requests with rate-limited). Bounded: FUZZ_EXAMPLES test cases
# per operation and phase, FUZZ_SECONDS of wall clock for the whole run. Fails on any 5xx, on an answer
# whose status, content type or body breaks the document, or when the node stops answering /health.
# One worker: with two, CPython 3.11 sometimes fails compiling schemathesis' generated code in parallel
# ("AST constructor recursion depth mismatch"), a runtime error of the fuzzer that would fail CI.
set -euo pipefail
cd "$(dirname "$0")/.."
examples=${FUZZ_EXAMPLES:-8}
seconds=${FUZZ_SECONDS:-150}
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ARTEMIS_RATELIMIT__ENABLED=false ARTEMIS_LOGGING__LEVEL=error \
  artemis server start --addr "127.0.0.1:$port" --data-dir "$work/data" > "$work/server.log" 2>&1 &
pid=$!
cleanup() {
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/health" > /dev/null && break
  sleep 0.1
done
status=0
st run "http://127.0.0.1:$port/schema/openapi.json" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples "$examples" --max-time "$seconds" --seed 15 --workers 1 \
  --request-timeout 20 --suppress-health-check all --no-color || status=$?
if ! curl -sf "http://127.0.0.1:$port/health" > /dev/null; then
  echo "fuzz: the node stopped answering /health"; cat "$work/server.log"; exit 1
fi
if [ "$status" -ne 0 ]; then
  echo "fuzz: schemathesis found problems (exit $status); server log:"; tail -n 50 "$work/server.log"
fi
exit "$status"
