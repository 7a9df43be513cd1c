/** The commander options `service create` and `service update` share (flag names after `docker service`). */
import { type Command, Option } from 'commander';
import { collect } from '../parse.js';

/** Options that set one value, for both commands. */
export function addCommonServiceOptions(cmd: Command): Command {
  for (const which of ['update', 'rollback'] as const) {
    const what = which === 'update' ? 'an update' : 'a rollback';
    cmd
      .option(`--${which}-parallelism <n>`, `tasks changed at once during ${what}; 0: all (default 1)`)
      .option(`--${which}-delay <duration>`, `wait between batches of ${what}, such as 10s (default 0s)`)
      .addOption(
        new Option(
          `--${which}-failure-action <action>`,
          `what ${what} does when tasks fail (default pause)`,
        ).choices(which === 'update' ? ['pause', 'continue', 'rollback'] : ['pause', 'continue']),
      )
      .option(
        `--${which}-monitor <duration>`,
        `how long each changed task is watched for failure (default 5s)`,
      )
      .option(
        `--${which}-max-failure-ratio <ratio>`,
        `the fraction of failed tasks tolerated, 0 to 1 (default 0)`,
      )
      .addOption(
        new Option(
          `--${which}-order <order>`,
          `stop the old task first, or start the new one first (default stop-first)`,
        ).choices(['stop-first', 'start-first']),
      );
  }
  return cmd
    .option('-w, --workdir <dir>', 'the working directory in the container')
    .option('-u, --user <user>', 'the user: user, uid, user:group or uid:gid')
    .option('--hostname <name>', 'the container hostname')
    .option('--entrypoint <command>', "replace the image's entrypoint (a command line)")
    .option('--limit-cpu <cpus>', 'CPU limit, such as 0.5 (0: none)')
    .option('--limit-memory <size>', 'memory limit, such as 64m or 1g (0: none)')
    .option('--limit-pids <n>', 'limit on the number of processes (0: none)')
    .option('--reserve-cpu <cpus>', 'CPUs set aside on the node, such as 0.25')
    .option('--reserve-memory <size>', 'memory set aside on the node, such as 32m')
    .addOption(
      new Option(
        '--restart-condition <condition>',
        'when to restart a task that ended (default any)',
      ).choices(['none', 'on-failure', 'any']),
    )
    .option(
      '--restart-delay <duration>',
      'wait between restarts, such as 5s (default: backoff from 0 to 10s)',
    )
    .option('--restart-max-attempts <n>', 'restarts allowed within the window (default 0: unlimited)')
    .option(
      '--restart-window <duration>',
      'the window the attempts count in, such as 1m (default 0s: unbounded)',
    )
    .option('--replicas-max-per-node <n>', 'tasks of this service per node at most (default 0: unlimited)')
    .option('--stop-grace-period <duration>', 'wait after the stop signal before SIGKILL (default 10s)')
    .option('--stop-signal <signal>', 'the signal that stops the container (default SIGTERM)')
    .option('--health-cmd <command>', 'the healthcheck command, run with /bin/sh -c')
    .option('--health-interval <duration>', 'time between healthchecks (default 30s)')
    .option('--health-timeout <duration>', 'how long a check may run (default 30s)')
    .option('--health-retries <n>', 'consecutive failures before unhealthy (default 3)')
    .option('--health-start-period <duration>', 'grace period after start before failures count')
    .option('--no-healthcheck', "disable the image's healthcheck")
    .option('--read-only', "mount the container's root filesystem read-only")
    .option('--cap-add <capability>', 'add a Linux capability, such as NET_ADMIN (repeatable)', collect)
    .option('--cap-drop <capability>', 'drop a Linux capability (repeatable)', collect)
    .option(
      '-d, --detach',
      'return as soon as the manager accepted the change, instead of waiting until every task runs',
    );
}
