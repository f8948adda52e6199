// Merge/unmerge bookkeeping. Every record (touchpoint, journey, case, fact) keeps the profile it
// was first recorded for (`originProfileId`) while `profileId` follows merges. A merge moves the
// merged profile's records to the survivor; an unmerge moves back every record whose origin is
// the restored profile or a profile merged into it before (merges can chain: A into B, B into C;
// undoing B-into-C brings back B's and A's records to B).

/** The direct merges still in force: merged profile id -> the profile it was merged into. */
export type MergeEdges = ReadonlyMap<string, string>;

/** The restored profile and every profile (transitively) merged into it. */
export function mergedFamily(edges: MergeEdges, rootProfileId: string): Set<string> {
  const family = new Set<string>([rootProfileId]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [merged, into] of edges) {
      if (family.has(into) && !family.has(merged)) {
        family.add(merged);
        grew = true;
      }
    }
  }
  return family;
}

/** The profile a record of `profileId` belongs to now: follows merge edges to the end. */
export function survivorOf(edges: MergeEdges, profileId: string): string {
  let current = profileId;
  const seen = new Set<string>();
  for (let next = edges.get(current); next !== undefined && !seen.has(next); next = edges.get(current)) {
    seen.add(current);
    current = next;
  }
  return current;
}

/** A move of records between profiles. */
export interface RecordMove {
  /** Records currently under this profile... */
  readonly fromProfileId: string;
  /** ...whose origin is one of these... */
  readonly originProfileIds: readonly string[];
  /** ...go to this profile. */
  readonly toProfileId: string;
}

/** The move a merge implies: everything under the merged profile goes to the survivor. */
export function planMerge(edgesBefore: MergeEdges, mergedProfileId: string, survivingProfileId: string): RecordMove {
  return {
    fromProfileId: mergedProfileId,
    originProfileIds: [...mergedFamily(edgesBefore, mergedProfileId)].sort(),
    toProfileId: survivingProfileId,
  };
}

/**
 * The move an unmerge implies: records under the survivor (and wherever the survivor has since
 * been merged into) whose origin is in the restored profile's family go back to it.
 */
export function planUnmerge(edgesBefore: MergeEdges, restoredProfileId: string, survivingProfileId: string): RecordMove {
  const without = new Map(edgesBefore);
  without.delete(restoredProfileId);
  return {
    fromProfileId: survivorOf(edgesBefore, survivingProfileId),
    originProfileIds: [...mergedFamily(without, restoredProfileId)].sort(),
    toProfileId: restoredProfileId,
  };
}
