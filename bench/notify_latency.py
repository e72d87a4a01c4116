#!/usr/bin/python3
"""Commit-to-client latency through the NOTIFY path.

Connects one WebSocket client to a running commcelld, inserts N rows one by one into a partner's
commcell.observation (autocommit, so each INSERT is its own commit) and measures, for each, the
time from the commit returning to the client receiving the delta that carries that value.

usage: notify_latency.py WS_URL PARTNER_CONNINFO [N] [METRIC] [SITE]
"""
import asyncio
import json
import statistics
import sys
import time

import psycopg2
import websockets


async def main():
    url, conninfo = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    metric = sys.argv[4] if len(sys.argv) > 4 else "ed.four_hour_performance"
    site = sys.argv[5] if len(sys.argv) > 5 else "NGH"
    db = psycopg2.connect(conninfo)
    db.autocommit = True
    cur = db.cursor()
    latencies = []
    async with websockets.connect(url, subprotocols=["commcell.v1"]) as ws:
        snap = json.loads(await ws.recv())
        assert snap["type"] == "snapshot", snap["type"]
        for i in range(n):
            # a value no simulator writes, so the delta we wait for is ours
            value = 1000.0 + i + 0.25
            cur.execute(
                "INSERT INTO commcell.observation (metric, site, value) VALUES (%s, %s, %s)",
                (metric, site, value))
            committed = time.perf_counter()
            while True:
                msg = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if msg["type"] != "delta":
                    continue
                if any(e["key"] == metric and e["site"] == site and e["value"] == value
                       for e in msg["metrics"]):
                    latencies.append((time.perf_counter() - committed) * 1000)
                    break
    db.close()
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"notify path, {n} sequential inserts, commit to client (ms): "
          f"median {statistics.median(latencies):.2f}  p99 {p99:.2f}  max {latencies[-1]:.2f}  "
          f"min {latencies[0]:.2f}")


asyncio.run(main())
