#!/usr/bin/python3
"""What happens to N alerts queued while the webhook receiver is down.

Starts a private hub + partners + commcelld (tests/harness), one alert rule on a metric, and
fires N alerts at once (one red value at each of N sites) while nothing listens on the webhook
port. After DOWN seconds a receiver starts; the script prints how the outbox drained: delivery
attempts while down, time from the receiver's return to the first and the last delivery, and
whether any notification arrived twice.

usage: bench/alerts_backlog.py [N=1000] [DOWN=30]
"""
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'harness'))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'integration'))
import commcell_env as ce  # noqa: E402
from test_alerts import Receiver  # noqa: E402


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    down = float(sys.argv[2]) if len(sys.argv) > 2 else 30
    env = ce.Env(poll_ms=500)
    env.start(daemon=False)
    try:
        port = ce.free_port()
        env.hub("INSERT INTO commcell.person VALUES ('dana', 'Dana')")
        env.hub("INSERT INTO commcell.contact (person, channel, target) VALUES ('dana', 'webhook', %s)",
                ('http://127.0.0.1:%d/hook' % port,))
        env.hub("INSERT INTO commcell.team VALUES ('ops', 'Ops')")
        env.hub("INSERT INTO commcell.rota_shift (team, person, starts_at, ends_at) VALUES "
                "('ops', 'dana', now() - interval '1 hour', now() + interval '1 day')")
        env.hub("INSERT INTO commcell.escalation_policy (name, ack_timeout_s, repeat_s, max_level) "
                "VALUES ('std', 3600, 3600, 1)")
        env.hub("INSERT INTO commcell.alert_rule (name, partner, metric, status, team, policy) "
                "VALUES ('occupancy red', 'acute', 'beds.ga_occupancy', 'red', 'ops', 'std')")
        env.start_daemon()
        t0 = time.time()
        env.partner_sql('acute', "INSERT INTO commcell.observation (metric, site, value) "
                        "SELECT 'beds.ga_occupancy', 'S' || g, 99 FROM generate_series(1, %s) g",
                        (n,))
        ce.wait_until(lambda: env.hub("SELECT count(*) FROM commcell.outbox")[0][0] >= n, 120,
                      what='%d notifications queued' % n)
        queued = time.time() - t0
        time.sleep(max(0, down - (time.time() - t0)))
        attempts = env.hub("SELECT count(*) FROM commcell.delivery_attempt")[0][0]
        rec = Receiver(port).start()
        t_up = time.time()
        ce.wait_until(lambda: len(rec.got) >= n, 900, interval=0.5,
                      what='all %d delivered' % n)
        t_first = min(g['t'] for g in rec.got) - t_up
        t_last = max(g['t'] for g in rec.got) - t_up
        keys = [g['json']['dedup_key'] for g in rec.got]
        time.sleep(2)
        sent = env.hub("SELECT count(*) FROM commcell.outbox WHERE sent_at IS NOT NULL")[0][0]
        rec.stop()
        print('alerts backlog: %d alerts fired and queued in %.1f s; receiver down %.0f s '
              '(%d failed attempts recorded meanwhile)' % (n, queued, down, attempts))
        print('alerts backlog: receiver back -> first delivery after %.1f s, last after %.1f s; '
              '%d received, %d distinct, %d recorded as sent' %
              (t_first, t_last, len(keys), len(set(keys)), sent))
    finally:
        env.close(check_daemon=True)


main()
