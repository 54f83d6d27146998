"""Capacity on paper from a runner result: ``python -m benchmarks.capacity [benchmarks/results.json]``.

Prints the per-key CPU costs the result holds and, from them, the instances one node can carry per core
at heartbeat intervals of 5, 10 and 30 s in clusters of 1, 2, 3 and 5 nodes (docs/capacity.md explains the
model and is written from this output). Every cost names the scenario it comes from.

Model: a fleet of I instances, each renewed every T seconds through one of N nodes (clients spread evenly).
Every node sees every heartbeat: the node a client calls pays the client heartbeat ``c_client`` and sends
the key on to its N-1 peers (``c_send`` per peer); each peer absorbs it (``c_recv``). Per node and second:

    cpu = I / T * (c_client + (N - 1) * (c_send + c_recv)) / N

so one core (cpu = 1) carries I = T / ((c_client + (N - 1) * (c_send + c_recv)) / N) instances.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

INTERVALS = (5.0, 10.0, 30.0)
NODES = (1, 2, 3, 5)


def us_per_key(sat: dict[str, Any], keys: int) -> float | None:
    """CPU microseconds per key at saturation: the server's requests per CPU-second, per key."""
    per_cpu = (sat.get("server") or {}).get("per_cpu_second")
    return round(1e6 / (per_cpu * keys), 3) if per_cpu else None


def costs(res: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every per-key cost in the result: name -> {us, source}."""
    out: dict[str, dict[str, Any]] = {}
    pkc = res.get("per_key_cost") or {}
    fixed = pkc.get("per_key_us") or {}
    rate = pkc.get("rate_keys_per_s")
    src10 = f"scenario 10 (fixed rate, {rate:,.0f} keys/s in 100-key bodies)" if rate else "scenario 10"
    per_batch = (pkc.get("cluster_client100") or {}).get("keys_per_batch")
    for name, key in (
        ("client 1-key body, seen before", "client_heartbeat_1_key_cached"),
        ("client 100-key body, seen before", "client_heartbeat_100_keys_cached"),
        ("client 100-key body, first sight", "client_heartbeat_100_keys_first_sight"),
        ("send to one peer", "send_to_one_peer"),
        ("absorb from a peer", "absorb_from_a_peer"),
    ):
        if fixed.get(key) is not None:
            src = src10 + (f", {per_batch} keys per replicated batch" if "peer" in name and per_batch else "")
            if "1-key" in name:
                single = (pkc.get("alone_client1") or {}).get("requests_per_s")
                src = f"scenario 10 (fixed rate, {single:,.0f} requests/s of 1 key)" if single else src10
            out[f"{name} (fixed rate)"] = {"us": fixed[key], "source": src}
    size = pkc.get("heartbeat_batch_size")
    if size:  # not a cost: the size the table prices replication at (table())
        out["heartbeat batch size"] = {"us": size, "source": "replication.heartbeat_batch_size of the nodes"}
    for what, label in (("send", "send to one peer"), ("absorb", "absorb from a peer")):
        f = batch_fit(pkc, f"{what}_cpu_per_peer")
        if f:
            for batch in sorted({100, 1000, size or 100}):
                out[f"{label}, {batch}-key batches (fit)"] = {
                    "us": round(f["us_per_batch"] / batch + f["us_per_key"], 3),
                    "source": f"scenario 10, two rates: {f['us_per_batch']} us per batch + "
                    f"{f['us_per_key']} us per key",
                }
    hb = res.get("heartbeat") or {}
    unc = hb.get("uncached") or {}
    for name, sat, keys, src in (
        ("client 1-key body, seen before", hb.get("single"), 1, "scenario 2 heartbeat 1 key"),
        ("client 100-key body, seen before", hb.get("batch100"), 100, "scenario 2 heartbeat 100 keys"),
        ("client 1-key body, first sight", unc.get("single"), 1, "scenario 2 heartbeat 1 key, cache off"),
        (
            "client 100-key body, first sight",
            unc.get("batch100"),
            100,
            "scenario 2 heartbeat 100 keys, cache off",
        ),
        (
            "client 100-key body as the R SDK sends it, first sight",
            unc.get("batch100r"),
            100,
            "scenario 2 heartbeat 100 keys, R SDK keys, cache off",
        ),
        (
            "client 100-instance body as the Java SDK sends it, first sight",
            unc.get("batch100j"),
            100,
            "scenario 2 heartbeat 100 instances, Java SDK, cache off",
        ),
        ("absorb from a peer", unc.get("peer100"), 100, "scenario 2 replicated heartbeats, batches of 100"),
    ):
        if sat and us_per_key(sat, keys) is not None:
            out[f"{name} (saturation)"] = {"us": us_per_key(sat, keys), "source": src + " (per CPU-s)"}
    return out


def batch_fit(pkc: dict[str, Any], cpu_key: str) -> dict[str, float] | None:
    """cpu = batches/s * us_per_batch + keys/s * us_per_key from scenario 10's two rates (per peer). A
    negative term is noise around zero: it is set to 0 and the other refitted over both points."""
    pts = [pkc.get(k) or {} for k in ("cluster_client100", "cluster_client100_low")]
    if any(p.get(cpu_key) is None or not p.get("batches_per_s_per_peer") for p in pts):
        return None
    (b1, k1, c1), (b2, k2, c2) = (
        (p["batches_per_s_per_peer"], p["keys_per_s_per_peer"], p[cpu_key]) for p in pts
    )
    det = b1 * k2 - b2 * k1
    per_batch = (c1 * k2 - c2 * k1) / det if det else -1.0
    per_key = (b1 * c2 - b2 * c1) / det if det else -1.0
    if per_key < 0 <= per_batch or not det:
        per_batch, per_key = (c1 + c2) / (b1 + b2), 0.0
    elif per_batch < 0 <= per_key:
        per_batch, per_key = 0.0, (c1 + c2) / (k1 + k2)
    if per_batch < 0 or per_key < 0:
        return None
    return {"us_per_batch": round(per_batch * 1e6, 1), "us_per_key": round(per_key * 1e6, 4)}


def per_node_us(c_client: float, c_send: float, c_recv: float, n: int) -> float:
    """CPU microseconds per node for every instance heartbeat of the fleet."""
    return (c_client + (n - 1) * (c_send + c_recv)) / n


def instances_per_core(cost_us: float, interval: float) -> int:
    return int(interval * 1e6 / cost_us) if cost_us > 0 else 0


def pick(c: dict[str, dict[str, Any]], *names: str) -> tuple[float | None, str]:
    """The first of ``names`` the result has: (us, name)."""
    for n in names:
        if n in c:
            return c[n]["us"], n
    return None, ""


def table(c: dict[str, dict[str, Any]], kind: str) -> list[str]:
    # Replication at the batch size the measured sender sends while it keeps up: heartbeat batches of
    # replication.heartbeat_batch_size keys (recorded by scenario 10 since issue 20 round 3: 1,000, which a
    # fleet this table is about fills many times over), 100 (replication.batch_size) in older runs; else
    # what was measured.
    size = c.get("heartbeat batch size", {}).get("us") or 100
    send, send_src = pick(c, f"send to one peer, {size}-key batches (fit)", "send to one peer (fixed rate)")
    recv, recv_src = pick(
        c,
        *(["absorb from a peer (saturation)"] if kind == "saturation" else []),
        f"absorb from a peer, {size}-key batches (fit)",
        "absorb from a peer (fixed rate)",
    )
    if send is None or recv is None:
        return [f"(no send/absorb costs in this result for the {kind} table)"]
    lines = [
        "| client heartbeat | nodes | us per node per instance heartbeat | "
        + " | ".join(f"instances per core, {t:.0f} s" for t in INTERVALS)
        + " |",
        "|---|---|---|" + "---|" * len(INTERVALS),
    ]
    for shape in (
        "client 1-key body, seen before",
        "client 100-key body, seen before",
        "client 100-key body, first sight",
    ):
        entry = c.get(f"{shape} ({kind})")
        if entry is None:
            continue
        for n in NODES:
            cost = per_node_us(entry["us"], send, recv, n)
            cells = " | ".join(f"{instances_per_core(cost, t):,}" for t in INTERVALS)
            lines.append(f"| {shape} ({entry['us']} us) | {n} | {cost:.2f} | {cells} |")
    lines.append(f"\nsend to one peer {send} us ({send_src}), absorb from a peer {recv} us ({recv_src})")
    return lines


def memory(res: dict[str, Any]) -> list[str]:
    lines = []
    mem = (res.get("memory") or {}).get("per_instance_bytes") or {}
    for k, v in mem.items():
        lines.append(f"scenario 6: {v:,} bytes of RSS per instance at {k}")
    sync = res.get("startup_sync") or {}
    if sync:
        n = sync["instances"]
        j = sync["joining"]
        lines.append(
            f"scenario 7: peer RSS {sync['peer_rss_bytes'] / 2**20:,.0f} MiB holding {n:,} "
            "(registered over HTTP); "
            f"the joining node {j['rss_after_bytes'] / 2**20:,.0f} MiB after the sync, "
            f"peak {j['rss_peak_bytes'] / 2**20:,.0f} MiB"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("result", nargs="?", default="benchmarks/results.json")
    args = ap.parse_args(argv)
    doc = json.loads(Path(args.result).read_text())
    res = doc["results"]
    c = costs(res)
    print(
        f"# {args.result}: {doc.get('command')} at {doc.get('started')}, load {doc.get('loadavg_before')}\n"
    )
    print("## per-key CPU costs (microseconds)\n")
    for name, e in c.items():
        if name == "heartbeat batch size":
            print(f"- replication priced at heartbeat batches of {e['us']} keys ({e['source']})")
            continue
        print(f"- {name}: {e['us']} us ({e['source']})")
    for kind in ("fixed rate", "saturation"):
        print(f"\n## instances per node per core, {kind} costs\n")
        print("\n".join(table(c, kind)))
    print("\n## memory\n")
    print("\n".join(memory(res)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
