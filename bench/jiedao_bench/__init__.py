"""Jiedao benchmarks: `make bench` (full, ~30 min) or `make bench BENCH_ARGS=--quick` (< 3 min).

Design notes (each module's docstring says what it measures and why)
- The machine is a noisy 2-core box, so no absolute time is a verdict. Every metric is measured
  side by side with a baseline in the same run, and the RATIO is what to read. No test asserts
  a time; the bench never fails on a slow result either (it exits non-zero only on errors).
- Servers (server.py): gunicorn started as `make run` starts it (the Makefile's workers, manifest
  static files, an access log but to a file) on a free 127.0.0.1 port, over a throw-away
  JIEDAO_DATA_DIR (migrate + collectstatic + demo load run once per bench run into a template
  folder that each phase copies). The load comes from a second process (bench/run.py with
  --loadgen, load.py). Every server is stopped in a `finally`; SIGTERM and Ctrl-C stop it too.
- Output (report.py): bench/results.json (one object per number) and bench/RESULTS.md (the same
  as a table, with date and machine facts). Both are rewritten by every run, --only included
  (the metrics not re-measured keep their last numbers, marked); the hand-written analysis at the
  end of RESULTS.md (below ANALYSIS_MARK) is kept.

Modules, in the order of a full run:
  cli             arguments, `--only` selection, the run itself (entry: bench/run.py)
  photo_pipeline  photo_pipeline_per_s: process_photo vs Pillow alone, in-process
  public          the public server: status_lookup_rps, home_rps, status_form_rps, then the three below
  bulletins       notice_page_rps: the current public notices page (/notices/) vs /healthz
  slow_clients    slow_clients_p95_ratio: an ordinary page with 200 trickling connections attached
  submit          submit_photos_per_s: 12 MP submissions vs Pillow alone on every core
  surge           surge_error_rate, surge_database_locked: 200 residents submitting at once
  city            city scale per database: generate_rate_per_s, then staff and export on that data
  staff           dashboard_p50/p95_ms, queue_p95_ms, search_p95_ms as signed-in staff
  export          export_100k_s, export_100k_peak_rss_mb vs openpyxl alone
  notices         notices_per_s, notices_lost, notices_duplicated: the SMS outbox into a fake gateway
  report          results.json and RESULTS.md, goals and verdicts
  server, load, applicants, procfs, stats, goals, config: the helpers the benchmarks share
"""
