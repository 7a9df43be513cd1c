/**
 * A set of strings kept in a compressed trie (radix tree), for prefix lookups in O(prefix + results):
 * the store finds objects by id prefix (`swarmctl service inspect 4k2`) and by name prefix with it.
 */

class RadixNode {
  /** The characters on the edge from the parent to this node. */
  edge: string;
  /** A key ends here. */
  terminal: boolean;
  /** Children by the first character of their edge. */
  children: Map<string, RadixNode> | null = null;

  constructor(edge: string, terminal: boolean) {
    this.edge = edge;
    this.terminal = terminal;
  }
}

function commonPrefixLength(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

export class RadixSet {
  #root = new RadixNode('', false);
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Adds `key`; returns false when it was already there. */
  add(key: string): boolean {
    let node = this.#root;
    let rest = key;
    for (;;) {
      if (rest === '') {
        if (node.terminal) return false;
        node.terminal = true;
        this.#size++;
        return true;
      }
      node.children ??= new Map();
      const first = rest[0] as string;
      const child = node.children.get(first);
      if (child === undefined) {
        node.children.set(first, new RadixNode(rest, true));
        this.#size++;
        return true;
      }
      const common = commonPrefixLength(child.edge, rest);
      if (common === child.edge.length) {
        node = child;
        rest = rest.slice(common);
        continue;
      }
      // Split the child's edge where `rest` leaves it.
      const mid = new RadixNode(child.edge.slice(0, common), common === rest.length);
      child.edge = child.edge.slice(common);
      mid.children = new Map([[child.edge[0] as string, child]]);
      node.children.set(first, mid);
      if (common < rest.length)
        mid.children.set(rest[common] as string, new RadixNode(rest.slice(common), true));
      this.#size++;
      return true;
    }
  }

  has(key: string): boolean {
    let node = this.#root;
    let rest = key;
    while (rest !== '') {
      const child = node.children?.get(rest[0] as string);
      if (child === undefined || !rest.startsWith(child.edge)) return false;
      rest = rest.slice(child.edge.length);
      node = child;
    }
    return node.terminal;
  }

  /** Removes `key`; returns false when it was not there. */
  delete(key: string): boolean {
    const path: RadixNode[] = [];
    let node = this.#root;
    let rest = key;
    while (rest !== '') {
      const child = node.children?.get(rest[0] as string);
      if (child === undefined || !rest.startsWith(child.edge)) return false;
      path.push(node);
      rest = rest.slice(child.edge.length);
      node = child;
    }
    if (!node.terminal) return false;
    node.terminal = false;
    this.#size--;
    const parent = path[path.length - 1];
    if (parent === undefined) return true; // the root: the empty key
    if (node.children === null || node.children.size === 0) {
      parent.children?.delete(node.edge[0] as string);
      // The parent may now be a pass-through node with one child: merge them.
      const grand = path[path.length - 2];
      if (grand !== undefined && !parent.terminal && parent.children?.size === 1) this.#merge(grand, parent);
    } else if (node.children.size === 1) {
      this.#merge(parent, node);
    }
    return true;
  }

  /** Replaces `node` (a non-terminal child of `parent` with one child) by its child. */
  #merge(parent: RadixNode, node: RadixNode): void {
    const only = node.children?.values().next().value as RadixNode;
    only.edge = node.edge + only.edge;
    parent.children?.set(only.edge[0] as string, only);
  }

  /**
   * Appends the keys that start with `prefix` to `out`, at most `limit` of them (in no particular order);
   * returns `out`.
   */
  collect(prefix: string, out: string[] = [], limit = Number.POSITIVE_INFINITY): string[] {
    let node = this.#root;
    let rest = prefix;
    let acc = '';
    while (rest !== '') {
      const child = node.children?.get(rest[0] as string);
      if (child === undefined) return out;
      if (child.edge.startsWith(rest)) {
        acc += child.edge;
        node = child;
        rest = '';
      } else if (rest.startsWith(child.edge)) {
        acc += child.edge;
        rest = rest.slice(child.edge.length);
        node = child;
      } else {
        return out;
      }
    }
    const walk = (n: RadixNode, key: string): void => {
      if (out.length >= limit) return;
      if (n.terminal) out.push(key);
      if (n.children !== null) for (const c of n.children.values()) walk(c, key + c.edge);
    };
    walk(node, acc);
    return out;
  }
}
