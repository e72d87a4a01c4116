#!/usr/bin/python3
"""The demo's board for the wall display's browser tests: a private cluster with the five demo
partners and sql/demo/seed.sql (tests/harness/commcell_env.py's DemoEnv), filled by a short run
of the simulator, and commcelld on top.

Prints one line of JSON ({"url", "hub"}) once the daemon is ready, then keeps everything running
until its standard input closes (the test ends it by closing the pipe), and cleans up.

Usage: wall_demo_env.py [normal|winter]   the simulator's scenario (default normal)

The simulator: COMMCELL_SIM_BIN, else build/sim/commcell-sim. The daemon: COMMCELL_BIN, else
build/daemon/commcelld (as the harness picks it)."""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'harness'))
import commcell_env as ce  # noqa: E402


def main():
    scenario = sys.argv[1] if len(sys.argv) > 1 else 'normal'
    env = ce.DemoEnv(poll_ms=1000)
    try:
        env.setup_cluster()
        base = env.cluster.conninfo('postgres', 'postgres').replace(' dbname=postgres', '')
        # two simulated weeks at once, then three writes: wards full, every window has data
        p = subprocess.run([ce.sim_bin(), '--conninfo', base, '--ticks', '3', '--interval-ms', '200',
                            '--speed', '60', '--seed', '15', '--warmup-days', '14',
                            '--scenario', scenario] +
                           # winter at its height for the whole fortnight, not climbing from now
                           (['--ramp-hours', '0'] if scenario == 'winter' else []),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=240)
        if p.returncode != 0:
            raise ce.HarnessError('commcell-sim failed (%d): %s' % (p.returncode, p.stderr[-2000:]))
        env.write_config()
        env.start_daemon(timeout=60)
        print(json.dumps({'url': env.url, 'hub': env.hub_conninfo()}), flush=True)
        sys.stdin.read()
    finally:
        env.close(check_daemon=True)


if __name__ == '__main__':
    main()
