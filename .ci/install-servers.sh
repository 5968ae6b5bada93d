#!/usr/bin/env bash
# Install the real servers the live-mode tests start on 127.0.0.1 (Debian packages):
#   prometheus               -> /usr/bin/prometheus, /usr/bin/promtool
#   prometheus-alertmanager  -> /usr/bin/prometheus-alertmanager
# Idempotent: does nothing when the binaries are already there.  The packages' own daemons are
# never started (a temporary policy-rc.d refuses every service start during the install) and,
# should one be running anyway, it is stopped: tests always start their own servers on free
# ports with temporary data folders.
set -euo pipefail

need=()
[[ -x /usr/bin/prometheus && -x /usr/bin/promtool ]] || need+=(prometheus)
[[ -x /usr/bin/prometheus-alertmanager ]] || need+=(prometheus-alertmanager)

if ((${#need[@]})); then
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  policy=/usr/sbin/policy-rc.d
  placed_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\n# placed by .ci/install-servers.sh: no service starts during the install\nexit 101\n' \
      | $sudo tee "$policy" >/dev/null
    $sudo chmod 755 "$policy"
    placed_policy=1
  fi
  trap '[[ $placed_policy == 1 ]] && $sudo rm -f "$policy"' EXIT
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# The packaged daemons must not hold ports (9090, 9093, 9094) or data folders the tests could hit.
for svc in prometheus prometheus-alertmanager; do
  if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
    systemctl stop "$svc" >/dev/null 2>&1 || true
    systemctl disable "$svc" >/dev/null 2>&1 || true
  elif [[ -x /etc/init.d/$svc ]]; then
    /etc/init.d/$svc stop >/dev/null 2>&1 || true
  fi
done

/usr/bin/prometheus --version 2>&1 | head -1
/usr/bin/promtool --version 2>&1 | head -1
/usr/bin/prometheus-alertmanager --version 2>&1 | head -1
