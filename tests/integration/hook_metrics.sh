#!/bin/bash
# tests/integration/hook_metrics.sh: the endpoint's /metrics page, Prometheus
# text format, computed in the process: every family present with a number,
# in-use >= the hook's live bytes (the hook counts its own chunks only),
# promtool accepts it, and Debian's real Prometheus server scrapes it and
# answers a query for it through its HTTP API.
. "${top_srcdir:?run it from make check}/tests/integration/hook_common.sh"

port=$(hook_port 5)
hook_start "$top_builddir/tests/progs/hook_leak" HEAPSNAP_HTTP=127.0.0.1:$port

m=$(hook_get $port /metrics)
tap_is "/metrics: 200" "$(hook_status $port /metrics)" 200
tap_is "served as Prometheus text 0.0.4" \
    "$(curl -s -o /dev/null -w '%{content_type}' "http://127.0.0.1:$port/metrics")" \
    "text/plain; version=0.0.4; charset=utf-8"
for series in 'heapsnap_heap_bytes{class="in_use"}' 'heapsnap_heap_bytes{class="free"}' \
    'heapsnap_heap_bytes{class="top"}' 'heapsnap_heap_bytes{class="mmapped"}' \
    heapsnap_heap_system_bytes heapsnap_hooked_bytes heapsnap_hooked_chunks \
    heapsnap_sampled_allocations_total heapsnap_sampling_rate_bytes process_resident_memory_bytes; do
    tap_ok "$series has a value" sh -c "printf '%s\n' \"\$1\" | grep -qF -- '$series ' && printf '%s\n' \"\$1\" | grep -F -- '$series ' | grep -qE ' [0-9]+\$'" _ "$m"
done
val() { printf '%s\n' "$m" | grep -v '^#' | grep -F -- "$1 " | awk '{print $2}'; }
tap_ok "in use covers what the hook counted" [ "$(val 'heapsnap_heap_bytes{class="in_use"}')" -ge "$(val heapsnap_hooked_bytes)" ]
tap_is "the sampling rate is the default" "$(val heapsnap_sampling_rate_bytes)" 524288
tap_ok "resident memory is more than the heap in use" \
    [ "$(val process_resident_memory_bytes)" -gt "$(val 'heapsnap_heap_bytes{class="in_use"}')" ]

if command -v promtool >/dev/null 2>&1; then
    tap_ok "promtool check metrics accepts the page" sh -c "printf '%s\n' \"\$1\" | promtool check metrics" _ "$m"
else
    tap_skip "promtool is not installed (scripts/install-deps installs prometheus)"
fi

# Debian's Prometheus, scraping every second, on its own port and storage.
if command -v prometheus >/dev/null 2>&1; then
    pport=$(hook_port 6)
    mkdir -p "$hook_tmp/tsdb"
    cat > "$hook_tmp/prometheus.yml" <<EOC
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: heapsnap
    static_configs:
      - targets: ['127.0.0.1:$port']
EOC
    prometheus --config.file="$hook_tmp/prometheus.yml" --storage.tsdb.path="$hook_tmp/tsdb" \
        --web.listen-address=127.0.0.1:$pport > "$hook_tmp/prometheus.log" 2>&1 &
    ppid=$!
    disown $ppid
    hook_pids="$hook_pids $ppid"
    got=""
    i=0
    while [ $i -lt 60 ]; do
        got=$(curl -s --max-time 2 "http://127.0.0.1:$pport/api/v1/query?query=heapsnap_hooked_bytes" |
            grep -o '"value":\[[0-9.]*,"[0-9]*"\]' | head -1)
        [ -n "$got" ] && break
        sleep 0.5
        i=$((i + 1))
    done
    tap_ok "Prometheus scraped /metrics and answers a query for it ($got)" [ -n "$got" ]
    [ -n "$got" ] || tail -5 "$hook_tmp/prometheus.log" | sed 's/^/# /'
    up=$(curl -s --max-time 2 "http://127.0.0.1:$pport/api/v1/query?query=up" | grep -o '"value":\[[0-9.]*,"1"\]')
    tap_ok "the target is up" [ -n "$up" ]
else
    tap_skip "prometheus is not installed (scripts/install-deps installs it)"
    tap_skip "prometheus is not installed (scripts/install-deps installs it)"
fi
tap_done
