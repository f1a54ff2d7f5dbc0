/**
 * Which plugin a package is in the tree for: the nearest node, breadth first up the edges into
 * it, that is a plugin. Arborist's live tree (edgesIn) and the explained nodes of an ERESOLVE
 * (dependents) are walked alike; each caller says how to go up and what counts as a plugin.
 */

/**
 * The first node, nearest first, among `start` and the nodes that depend on it (transitively)
 * that `accept` takes; undefined when none does. Each node is visited once, so cycles end.
 * @example nearestDependent(node, (n) => [...n.edgesIn].map((e) => e.from), (n) => plugins.has(n.name))
 */
export function nearestDependent<N>(
  start: N | undefined,
  dependentsOf: (node: N) => Iterable<N | null | undefined>,
  accept: (node: N) => boolean,
): N | undefined {
  const queue: N[] = start === undefined ? [] : [start];
  const seen = new Set<N>();
  for (let i = 0; i < queue.length; i++) {
    const current = queue[i] as N;
    if (seen.has(current)) continue;
    seen.add(current);
    if (accept(current)) return current;
    for (const dependent of dependentsOf(current)) if (dependent) queue.push(dependent);
  }
  return undefined;
}
