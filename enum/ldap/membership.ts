/**
 * Recursive group membership by walking the member graph upwards from each account, breadth first, so each
 * group an account reaches comes with the shortest chain of groups that leads there. Cycles (allowed in both AD and
 * LDAP) end the walk of a branch; they do not loop.
 */
import { dnKey } from './codecs.js';
import type { DirectoryGroup } from './inventory.js';

/** Whether `spec` (a group name or DN, as an admin gives --privileged-group) names group `g`. */
export function namesGroup(spec: string, g: Pick<DirectoryGroup, 'name' | 'dn'>): boolean {
  return g.name.toLowerCase() === spec.toLowerCase() || dnKey(g.dn) === dnKey(spec);
}

export interface Reached {
  /** Group DN as the directory spells it. */
  readonly group: string;
  /** DNs from the account's first group to this one (length 1: a direct member). */
  readonly via: readonly string[];
}

export class MembershipGraph {
  readonly #parents = new Map<string, string[]>();
  readonly #children = new Map<string, string[]>();
  readonly #groups = new Map<string, DirectoryGroup>();

  constructor(groups: readonly DirectoryGroup[], extra: ReadonlyArray<{ member: string; group: string }> = []) {
    for (const g of groups) this.#groups.set(dnKey(g.dn), g);
    const link = (member: string, group: string) => {
      const list = this.#parents.get(dnKey(member)) ?? [];
      if (list.some((p) => dnKey(p) === dnKey(group))) return;
      list.push(group);
      this.#parents.set(dnKey(member), list);
      const children = this.#children.get(dnKey(group)) ?? [];
      children.push(member);
      this.#children.set(dnKey(group), children);
    };
    for (const g of groups) for (const m of g.members) link(m, g.dn);
    for (const e of extra) link(e.member, e.group);
  }

  group(dn: string): DirectoryGroup | undefined {
    return this.#groups.get(dnKey(dn));
  }

  /** Every group `dn` belongs to, directly or through other groups, with the shortest path to each. */
  groupsOf(dn: string): Reached[] {
    const out: Reached[] = [];
    const seen = new Set<string>([dnKey(dn)]);
    let frontier: Array<{ dn: string; via: string[] }> = [{ dn, via: [] }];
    while (frontier.length) {
      const next: typeof frontier = [];
      for (const node of frontier) {
        for (const parent of this.#parents.get(dnKey(node.dn)) ?? []) {
          const k = dnKey(parent);
          if (seen.has(k)) continue;
          seen.add(k);
          const via = [...node.via, parent];
          out.push({ group: parent, via });
          next.push({ dn: parent, via });
        }
      }
      frontier = next;
    }
    return out;
  }

  /** Direct and nested members of a group that are not groups themselves (primary-group members included). */
  membersOf(dn: string): string[] {
    const out: string[] = [];
    const seen = new Set<string>([dnKey(dn)]);
    const stack = [...(this.#children.get(dnKey(dn)) ?? [])];
    while (stack.length) {
      const m = stack.pop()!;
      const k = dnKey(m);
      if (seen.has(k)) continue;
      seen.add(k);
      if (this.group(m)) stack.push(...(this.#children.get(k) ?? []));
      else out.push(m);
    }
    return out;
  }
}
