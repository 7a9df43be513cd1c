#!/usr/bin/env bash
# Installs swarmd on this host (Debian 12, Node.js 20, as root) and starts a single-manager cluster with
# its state in ./.swarmd (override with SWARMD_STATE_DIR): the manager and its agent, which runs the
# services' tasks as containers with the `host` image (no registry needed). It then shows swarmctl and
# /metrics against it, and a container run directly through swarm-runtime, the runtime the agent uses.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scripts/install-deps
npm ci --no-audit --no-fund --loglevel=error # builds swarm-runtime (C) and swarmd/swarmctl (TypeScript)

state=${SWARMD_STATE_DIR:-$root/.swarmd}
listen=${SWARMD_LISTEN_ADDR:-127.0.0.1:4242}
http=${SWARMD_HTTP_ADDR:-127.0.0.1:4243}
say() { printf '\n\033[1m%s\033[0m\n' "$*"; }

if curl -fsS "http://$http/healthz" >/dev/null 2>&1; then
  say "swarmd already runs here (http://$http/healthz answers)."
else
  mkdir -p "$(dirname "$state")"
  # init on a new state dir, run on one that exists (init would resume it too).
  if [ -f "$state/node.json" ]; then cmd=(run --state-dir "$state" --http-addr "$http"); else
    cmd=(init --state-dir "$state" --listen-addr "$listen" --http-addr "$http"); fi
  nohup bin/swarmd "${cmd[@]}" >"$state.out" 2>"$state.log" </dev/null &
  echo $! >"$state.pid"
  for _ in $(seq 1 100); do
    curl -fsS "http://$http/healthz" >/dev/null 2>&1 && break
    kill -0 "$(cat "$state.pid")" 2>/dev/null || { cat "$state.log" >&2; exit 1; }
    sleep 0.1
  done
  say "swarmd is running (pid $(cat "$state.pid"), state in $state, logs in $state.log):"
  cat "$state.out"
fi

export SWARM_SOCKET=$state/swarmd.sock
say "swarmctl talks to it through $SWARM_SOCKET:"
echo "\$ export SWARM_SOCKET=$SWARM_SOCKET"
echo "\$ bin/swarmctl node ls"
bin/swarmctl node ls
bin/swarmctl service rm hello >/dev/null 2>&1 || true
echo "\$ bin/swarmctl service create hello --image host --replicas 2 -- sh -c 'echo hello; sleep 3600'"
bin/swarmctl service create hello --image host --replicas 2 -- sh -c 'echo hello; sleep 3600'
echo "\$ bin/swarmctl service ps hello"
bin/swarmctl service ps hello
echo "\$ bin/swarmctl service logs hello"
bin/swarmctl service logs hello

say "Prometheus metrics (every node serves them on its HTTP address):"
echo "\$ curl -s http://$http/metrics | grep -E '^swarmd_(tasks|raft_leader|nodes)'"
curl -s "http://$http/metrics" | grep -E '^swarmd_(tasks|raft_leader|nodes)' || true

say "A container through swarm-runtime directly (what the agent does for each task):"
echo "\$ bin/swarmd container run --hostname demo --memory 64m --pids 64 -- sh -c '...'"
bin/swarmd container run --hostname demo --memory 64m --pids 64 -- sh -c '
  echo "hello from $(hostname): I am PID $$ and these are all the processes I can see:"; ps -e
  echo "my network interfaces: $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " ")"
  grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status'

say "Stop swarmd with: kill \$(cat $state.pid)   — start it again with this script (it resumes from $state)."
