"""Durable background work: a job queue (procrastinate) on our PostgreSQL.

- queue.py      the procrastinate App and its connector; `defer` queues a job inside the caller's
                transaction. Imports no task: the App lists the task modules in `import_paths`, and
                the worker imports them when it starts.
- tracked.py    tracked jobs, the ones a user follows: their rows in the `jobs` table (status,
                progress, result, files), `tracked_task` to register one and `start_job` to queue one.
- ticks.py      when the dialer next looks at a campaign: `schedule_tick`, called by the services inside
                their own transactions (so it lives outside the dialer's task module).
- imports.py    tasks: contacts.import_csv (tracked), and `start_contact_import` to queue it.
- dialer.py     tasks: dialer.tick, dialer.watchdog, dialer.silent_calls, dialer.cleanup.
- simulator.py  tasks: telephony.simulate_call, telephony.machine_answered.
- worker.py     the App's worker, which rides out a database outage (WORKER_DATABASE_OUTAGE_SECONDS).

The worker runs as `procrastinate --app=reachimpact.jobs.app worker`: procrastinate reads the attribute
`app` of this package, so `app` is the App object and no module here may be called app.py.
"""

from reachimpact.jobs.queue import app

__all__ = ["app"]
