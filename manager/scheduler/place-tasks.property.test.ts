/**
 * Properties of the placement function over random node sets and batches, checked against a brute-force
 * model of the filters written independently here: no node ends over-committed or holding a task that a
 * filter forbids, presets go only to their node, and a task is left pending only when no node could take
 * one more.
 */
import test from 'ava';
import fc from 'fast-check';
import { matchesConstraints, type Node, parseConstraints } from '../../proto/index.js';
import type { TaskUsage } from './node-set.js';
import { placeTasks, type TaskBatch } from './place-tasks.js';
import { node, nodeSet, spec } from './testing/fixtures.js';

const UNIT = 1000;
const PORTS = ['tcp/80', 'tcp/81'];

const arbNode = (i: number) =>
  fc
    .record({
      state: fc.constantFrom('ready', 'ready', 'ready', 'down'),
      availability: fc.constantFrom('active', 'active', 'active', 'pause', 'drain'),
      zone: fc.constantFrom('a', 'b', null),
      mem: fc.integer({ min: 0, max: 8 }),
      cpu: fc.integer({ min: 0, max: 8 }),
    })
    .map((n) =>
      node({
        id: `n${i}`,
        state: n.state as 'ready' | 'down',
        availability: n.availability as 'active' | 'pause' | 'drain',
        labels: n.zone === null ? {} : { zone: n.zone },
        memoryBytes: n.mem * UNIT,
        nanoCpus: n.cpu * UNIT,
      }),
    );

const arbCase = fc.integer({ min: 0, max: 7 }).chain((count) =>
  fc.record({
    nodes: fc.tuple(...Array.from({ length: count }, (_, i) => arbNode(i))),
    usages: fc.array(
      fc.record({
        node: fc.nat({ max: Math.max(0, count - 1) }),
        serviceId: fc.constantFrom('s', 'x'),
        mem: fc.integer({ min: 0, max: 3 }),
        cpu: fc.integer({ min: 0, max: 3 }),
        ports: fc.subarray(PORTS),
      }),
      { maxLength: 10 },
    ),
    mem: fc.integer({ min: 0, max: 3 }),
    cpu: fc.integer({ min: 0, max: 3 }),
    constraint: fc.constantFrom(null, 'node.labels.zone==a', 'node.labels.zone!=b'),
    spread: fc.boolean(),
    max: fc.integer({ min: 0, max: 3 }),
    hostPorts: fc.subarray(PORTS),
    tasks: fc.array(fc.option(fc.nat({ max: count + 1 }), { nil: null, freq: 4 }), { maxLength: 25 }),
  }),
);

interface Model {
  mem: number;
  cpu: number;
  svc: number;
  ports: Set<string>;
  placed: number;
}

test('no node is over-committed or given a task a filter forbids; pending only when nothing fits', (t) => {
  fc.assert(
    fc.property(arbCase, (c) => {
      const nodes: Node[] = c.nodes;
      const usages: TaskUsage[] =
        nodes.length === 0
          ? []
          : c.usages.map((u) => ({
              nodeId: `n${u.node}`,
              serviceId: u.serviceId,
              nanoCpus: u.cpu * UNIT,
              memoryBytes: u.mem * UNIT,
              hostPorts: u.ports,
            }));
      const taskSpec = spec({
        memoryBytes: c.mem * UNIT,
        nanoCpus: c.cpu * UNIT,
        constraints: c.constraint === null ? [] : [c.constraint],
        preferences: c.spread ? ['node.labels.zone'] : [],
        maxReplicasPerNode: c.max,
      });
      const batch: TaskBatch = {
        serviceId: 's',
        spec: taskSpec,
        hostPorts: c.hostPorts,
        tasks: c.tasks.map((n, i) => ({ id: `t${i}`, nodeId: n === null ? '' : `n${n}` })),
      };
      const decisions = placeTasks(nodeSet(nodes, usages).nodes, batch);

      const model = new Map<string, Model>();
      for (const n of nodes) model.set(n.id, { mem: 0, cpu: 0, svc: 0, ports: new Set(), placed: 0 });
      for (const u of usages) {
        const m = model.get(u.nodeId) as Model;
        m.mem += u.memoryBytes;
        m.cpu += u.nanoCpus;
        if (u.serviceId === 's') m.svc++;
        for (const p of u.hostPorts) m.ports.add(p);
      }
      const constraints = parseConstraints(taskSpec.placement.constraints);
      /** Whether `n` could take one more task of the batch with `extra` tasks of it placed. */
      const fits = (n: Node, extra: number): boolean => {
        const m = model.get(n.id) as Model;
        const total = n.description?.resources ?? { memoryBytes: 0, nanoCpus: 0 };
        const k = extra + 1;
        return (
          n.status.state === 'ready' &&
          n.spec.availability === 'active' &&
          (c.mem === 0 || m.mem + k * c.mem * UNIT <= total.memoryBytes) &&
          (c.cpu === 0 || m.cpu + k * c.cpu * UNIT <= total.nanoCpus) &&
          matchesConstraints(constraints, n) &&
          (c.hostPorts.length === 0 || (k === 1 && c.hostPorts.every((p) => !m.ports.has(p)))) &&
          (c.max === 0 || m.svc + k <= c.max)
        );
      };

      if (decisions.length !== batch.tasks.length) return false;
      for (let i = 0; i < decisions.length; i++) {
        const d = decisions[i];
        const task = batch.tasks[i];
        if (d === undefined || task === undefined || d.taskId !== task.id) return false;
        if (d.placed) {
          // A preset task goes to its node only.
          if (task.nodeId !== '' && d.nodeId !== task.nodeId) return false;
          const m = model.get(d.nodeId);
          if (m === undefined) return false;
          m.placed++;
        } else if (!d.reason.startsWith('no suitable node (')) return false;
      }
      for (const n of nodes) {
        const m = model.get(n.id) as Model;
        // Placing m.placed tasks was allowed iff the last of them fitted with the others already there.
        if (m.placed > 0 && !fits(n, m.placed - 1)) return false;
      }
      const freeLeft = decisions.some((d, i) => !d.placed && batch.tasks[i]?.nodeId === '');
      if (freeLeft) for (const n of nodes) if (fits(n, (model.get(n.id) as Model).placed)) return false;
      return true;
    }),
    { numRuns: 500 },
  );
  t.pass();
});

test('without limits, a batch evens out the service: no node ends with 2 more of it than another', (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.nat({ max: 5 }), { minLength: 1, maxLength: 8 }),
      fc.array(fc.nat({ max: 5 }), { minLength: 1, maxLength: 8 }),
      fc.nat({ max: 40 }),
      (existing, others, count) => {
        const nodes = existing.map((_, i) => node({ id: `n${i}` }));
        const usages: TaskUsage[] = [];
        existing.forEach((k, i) => {
          for (let j = 0; j < k; j++)
            usages.push({ nodeId: `n${i}`, serviceId: 's', nanoCpus: 0, memoryBytes: 0, hostPorts: [] });
          for (let j = 0; j < (others[i] ?? 0); j++)
            usages.push({ nodeId: `n${i}`, serviceId: 'x', nanoCpus: 0, memoryBytes: 0, hostPorts: [] });
        });
        const tasks = Array.from({ length: count }, (_, i) => ({ id: `t${i}`, nodeId: '' }));
        const d = placeTasks(nodeSet(nodes, usages).nodes, {
          serviceId: 's',
          spec: spec(),
          hostPorts: [],
          tasks,
        });
        if (d.some((x) => !x.placed)) return false;
        const final = existing.slice();
        const placed = existing.map(() => 0);
        for (const x of d)
          if (x.placed) {
            const i = Number(x.nodeId.slice(1));
            final[i] = (final[i] ?? 0) + 1;
            placed[i] = (placed[i] ?? 0) + 1;
          }
        const min = Math.min(...final);
        // A node that received a task never had more of the service than the least loaded one.
        return final.every((f, i) => (placed[i] ?? 0) === 0 || f - 1 <= min);
      },
    ),
    { numRuns: 300 },
  );
  t.pass();
});
