#!/usr/bin/env bash
# Installs swarmd on this host (Debian 12, Node.js 20, as root) and starts it.
#
# The cluster (managers, agents, scheduling) is not built yet: until it is, this runs real demo containers
# through swarm-runtime instead — the `host` image, isolated in namespaces of their own, under memory, CPU
# and pids limits — and reports how each ended.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps
npm ci --no-audit --no-fund --loglevel=error # builds swarm-runtime (C) and swarmd (TypeScript)

say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
say "swarmd: the cluster is not built yet; running demo containers through swarm-runtime instead."

say "1. An isolated container: \$ bin/swarmd container run --hostname demo --cpus 0.5 --pids 64 -- sh -c '...'"
bin/swarmd container run --hostname demo --cpus 0.5 --pids 64 -- sh -c '
  echo "hello from $(hostname): I am PID $$ and these are all the processes I can see:"; ps -e
  echo "my network interfaces: $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " ")"
  grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status
  touch /usr/bin/x 2>&1 || true'

say "2. A memory limit: \$ bin/swarmd container run --memory 32m -- sh -c 'x=\$(head -c 200m /dev/zero | tr \"\\\\0\" a)'"
bin/swarmd container run --memory 32m -- sh -c 'echo "allocating 200 MiB under a 32 MiB limit..."; x=$(head -c 200m /dev/zero | tr "\0" a); echo "not reached"' || true

say "Done. Run your own: bin/swarmd container run [--image host|/path/to/rootfs] [--memory 64m] [--cpus 1] [--pids 100] -- CMD..."
