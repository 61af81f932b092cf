#!/bin/sh
# The daily housekeeping, for deployments without a host cron (compose.yaml's "jobs" service).
# With cron or systemd timers, run the same three commands once a day instead (docs/deploy.md).
# Each is idempotent and safe beside live traffic and beside another run on another host.
set -u
interval="${JIEDAO_DAILY_INTERVAL_SECONDS:-86400}"
while :; do
    for job in "drafts purge" "documents sweep" "retention run"; do
        # shellcheck disable=SC2086  # the job is two words on purpose
        jiedao $job || echo "daily job 'jiedao $job' failed; next try in ${interval}s" >&2
    done
    sleep "$interval"
done
