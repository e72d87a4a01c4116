#!/usr/bin/python3
"""What the demo shows over a simulated day: the simulator writing at high speed, commcelld
judging the demo seed's metrics, and a WebSocket client sampling the board once a real second.

    /usr/bin/python3 tests/integration/story.py [SCENARIO [HOURS [SPEED [SEED]]]]

prints, for the scenario (normal or winter; default normal, 24 simulated hours at speed 600),
the share of samples at each escalation level (OPEL 1-4), the mean number of tiles (board
entries with a value) at green, amber and red, and the tiles most often red. Used by
test_simulator.py with fewer hours; the README's figures are from this run.

Every feed polls once a real second (10 simulated minutes at speed 600). Minimum durations
are set to zero: a minute of real time is ten simulated hours at speed 600, and would hide the
status the simulated system is in (the demo itself runs at speed 1 with the seed's durations).
"""

import sys
sys.dont_write_bytecode = True  # keep __pycache__ out of the work tree

import json
import os
import signal
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'harness'))

import commcell_env as ce  # noqa: E402


class Story:
    """The samples of one run: level and tile statuses, once a real second."""

    def __init__(self, scenario, hours, speed):
        self.scenario, self.hours, self.speed = scenario, hours, speed
        self.levels = []         # one per sample
        self.tiles = []          # one {status: count} per sample
        self.red_tiles = {}      # (partner, key, site) -> samples at red
        self.sim_log = ''
        self.raw = []            # per sample: (stage, partner, key, site, status) of each tile

    def sample(self, level, board):
        self.levels.append(level)
        counts = {'green': 0, 'amber': 0, 'red': 0}
        for e in board.values():
            s = e.get('status')
            if e.get('value') is None or s not in counts:
                continue
            counts[s] += 1
            if s == 'red':
                k = (e.get('partner'), e.get('key'), e.get('site') or '')
                self.red_tiles[k] = self.red_tiles.get(k, 0) + 1
        self.tiles.append(counts)
        self.raw.append([(e.get('stage'), e.get('partner'), e.get('key'), e.get('site') or '',
                          e.get('status')) for e in board.values() if e.get('value') is not None])

    def level_share(self):
        n = len(self.levels) or 1
        return {lv: sum(1 for x in self.levels if x == lv) / n for lv in (1, 2, 3, 4)}

    def mean_tiles(self):
        n = len(self.tiles) or 1
        return {s: sum(t[s] for t in self.tiles) / n for s in ('green', 'amber', 'red')}

    def first_at(self, level):
        """Simulated hours from the start to the first sample at level or above, or None."""
        for i, x in enumerate(self.levels):
            if x >= level:
                return i * self.speed / 3600.0
        return None

    def text(self):
        share = self.level_share()
        tiles = self.mean_tiles()
        often = sorted(self.red_tiles.items(), key=lambda kv: -kv[1])[:6]
        n = len(self.levels) or 1
        return ('%s, %g simulated hours at speed %g (%d samples): OPEL 1 %.0f%%, 2 %.0f%%, '
                '3 %.0f%%, 4 %.0f%% of the time; tiles green %.1f, amber %.1f, red %.1f on '
                'average; red most often: %s' % (
                    self.scenario, self.hours, self.speed, len(self.levels),
                    100 * share[1], 100 * share[2], 100 * share[3], 100 * share[4],
                    tiles['green'], tiles['amber'], tiles['red'],
                    ', '.join('%s%s %.0f%%' % (k[1], '@' + k[2] if k[2] else '', 100 * c / n)
                              for k, c in often) or 'none'))


def run_story(env, scenario, hours, speed=600, seed=7, ramp_hours=None, warmup_days=42,
              sim=None, sim_env=None):
    """Run the simulator and commcelld on env (a started ce.DemoEnv without a daemon) for
    `hours` simulated hours at `speed`; return a Story. The daemon is left running."""
    env.hub('UPDATE commcell.metric SET min_duration_s = 0')
    env.hub('UPDATE commcell.threshold SET min_duration_s = 0')
    conninfo = env.cluster.conninfo('postgres', 'postgres').replace(' dbname=postgres', '')
    argv = [sim or ce.sim_bin(), '--conninfo', conninfo, '--interval-ms', '500', '--speed', str(speed),
            '--seed', str(seed), '--scenario', scenario, '--warmup-days', str(warmup_days)]
    if ramp_hours is not None:
        argv += ['--ramp-hours', str(ramp_hours)]
    story = Story(scenario, hours, speed)
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env=sim_env)
    try:
        # the simulator's warm-up writes six weeks before its first tick
        ce.wait_until(lambda: env.partner_sql('acute', 'SELECT count(*) FROM ops.ed_attendance')[0][0] > 0,
                      300, 0.5, 'the simulator to finish its warm-up')
        if not env.daemon.alive():
            env.start_daemon()

        async def watch():
            async with env.client('story') as c:
                snap = await c.snapshot()
                level = (snap.get('level') or {}).get('level', 1)
                # let every feed answer once before counting
                end_warm = time.monotonic() + 5
                while time.monotonic() < end_warm:
                    level = await drain(c, level, end_warm)
                t_end = time.monotonic() + hours * 3600.0 / speed
                next_t = time.monotonic()
                while time.monotonic() < t_end:
                    next_t += 1.0
                    level = await drain(c, level, next_t)
                    story.sample(level, c.board)

        async def drain(c, level, until):
            while True:
                left = until - time.monotonic()
                if left <= 0:
                    return level
                try:
                    m = await c.recv(left)
                except ce.HarnessError as e:
                    if 'no message within' in str(e):
                        return level
                    raise
                if m.data.get('type') == 'level':
                    level = m.data.get('level', level)
                elif m.data.get('type') == 'snapshot':
                    level = (m.data.get('level') or {}).get('level', level)

        ce.run(watch(), hours * 3600.0 / speed + 120)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, story.sim_log = proc.communicate(timeout=60)
    return story


def main():
    a = sys.argv[1:]
    scenario = a[0] if len(a) > 0 else 'normal'
    hours = float(a[1]) if len(a) > 1 else 24
    speed = float(a[2]) if len(a) > 2 else 600
    seed = int(a[3]) if len(a) > 3 else 7
    env = ce.DemoEnv(poll_ms=1000)
    try:
        env.start(daemon=False)
        story = run_story(env, scenario, hours, speed, seed)
        print(story.text())
        if os.environ.get('COMMCELL_STORY_SAMPLES'):
            with open(os.environ['COMMCELL_STORY_SAMPLES'], 'w') as f:
                json.dump({'levels': story.levels, 'tiles': story.raw}, f)
    finally:
        env.close()


if __name__ == '__main__':
    main()
