/**
 * The piece tree: a persistent (path-copying) B-tree over pieces, each a slice of one of two
 * byte buffers (the original file or the add buffer). Modelled on CodeMirror's `Text` tree:
 * leaves hold arrays, nodes cache aggregates, an edit returns a new root sharing everything it
 * did not touch — so undo, redo and snapshots are root swaps.
 *
 * Invariants:
 * - Every leaf is at height 0 and every child of a branch of height h has height h - 1.
 * - A node's `length` is the sum of its pieces' lengths; `lineFeeds` the sum of their LF counts,
 *   or NaN while some piece's count is not known yet (a large original piece before the line
 *   index is built). A NaN is only ever replaced by the true count, in place: that is
 *   memoisation of a pure function of the piece, so it is safe on nodes shared between versions.
 * - Pieces have length > 0. Only the root may be an empty leaf.
 */

/** Which buffer a piece points into. */
export type BufferId = 0 | 1;
export const ORIGINAL: BufferId = 0;
export const ADDED: BufferId = 1;

/**
 * Pieces live in a leaf's array of doubles, three slots each: [encoded start, length, lineFeeds].
 * The start of an added piece is stored as -(start + 1), so one array holds a whole leaf
 * (≈ 24 bytes a piece) and the buffer id costs nothing. Plain arrays (V8 packs them as unboxed
 * doubles) rather than Float64Arrays: they are allocated on the JS heap, which is several times
 * cheaper per edit than a typed array's separate backing store.
 */
const SLOTS = 3;

/** Most pieces in a leaf, and fewest before a leaf is merged with a neighbour. */
const LEAF_MAX = 64;
const LEAF_MIN = LEAF_MAX >> 2;
/** Pieces per leaf when building a tree in bulk: room left for edits. */
const LEAF_FILL = (LEAF_MAX * 3) >> 2;
/** Most children of a branch, and fewest before it is merged with a neighbour. */
const BRANCH_MAX = 32;
const BRANCH_MIN = BRANCH_MAX >> 2;
const BRANCH_FILL = (BRANCH_MAX * 3) >> 2;

export class Leaf {
  readonly height = 0;
  constructor(
    /** Internal: packed pieces, see SLOTS. */
    readonly slots: number[],
    readonly length: number,
    public lineFeeds: number,
  ) {}
  get pieceCount(): number {
    return this.slots.length / SLOTS;
  }
}

export class Branch {
  constructor(
    readonly children: readonly PieceNode[],
    readonly height: number,
    readonly length: number,
    public lineFeeds: number,
  ) {}
}

export type PieceNode = Leaf | Branch;

export const EMPTY_TREE: PieceNode = new Leaf([], 0, 0);

/** Counts line feeds in buffer ranges for the tree; the document implements it over its buffers. */
export interface LineFeedSource {
  /** Exact LF count of [start, end) of a buffer. May scan (and fill in missing index chunks). */
  count(buffer: BufferId, start: number, end: number): number;
  /** The LF count if it is cheap to get (index built, or a small range); otherwise NaN. */
  tryCount(buffer: BufferId, start: number, end: number): number;
  /** Buffer offset of the n-th (0-based) LF in [start, end) of a buffer, or -1. */
  nthLineFeed(buffer: BufferId, start: number, end: number, n: number): number;
}

function bufferOf(slots: readonly number[], index: number): BufferId {
  return slots[index * SLOTS]! < 0 ? ADDED : ORIGINAL;
}

function startOf(slots: readonly number[], index: number): number {
  const encoded = slots[index * SLOTS]!;
  return encoded < 0 ? -encoded - 1 : encoded;
}

function lengthOf(slots: readonly number[], index: number): number {
  return slots[index * SLOTS + 1]!;
}

function lineFeedsOf(slots: readonly number[], index: number): number {
  return slots[index * SLOTS + 2]!;
}

function encodeStart(buffer: BufferId, start: number): number {
  return buffer === ADDED ? -(start + 1) : start;
}

/** A growable list of pieces, used to assemble leaves. */
class PieceList {
  slots: number[] = [];
  count = 0;
  length = 0;
  lineFeeds = 0;

  push(buffer: BufferId, start: number, length: number, lineFeeds: number): void {
    if (length <= 0) return;
    const slots = this.slots;
    if (this.count > 0) {
      // Coalesce with the previous piece when it continues it in the same buffer (typing).
      const last = (this.count - 1) * SLOTS;
      const lastBuffer = slots[last]! < 0 ? ADDED : ORIGINAL;
      if (lastBuffer === buffer && startOf(slots, this.count - 1) + slots[last + 1]! === start) {
        slots[last + 1]! += length;
        slots[last + 2]! += lineFeeds;
        this.length += length;
        this.lineFeeds += lineFeeds;
        return;
      }
    }
    slots.push(encodeStart(buffer, start), length, lineFeeds);
    this.count++;
    this.length += length;
    this.lineFeeds += lineFeeds;
  }

  pushFrom(slots: readonly number[], index: number): void {
    this.push(
      bufferOf(slots, index),
      startOf(slots, index),
      lengthOf(slots, index),
      lineFeedsOf(slots, index),
    );
  }

  /**
   * One leaf, or several of about equal size when there are too many pieces for one. The list
   * hands its array to the leaf: do not push to it afterwards.
   */
  toLeaves(): Leaf[] {
    if (this.count <= LEAF_MAX) return [new Leaf(this.slots, this.length, this.lineFeeds)];
    const parts = Math.ceil(this.count / LEAF_MAX);
    const leaves: Leaf[] = [];
    for (let part = 0; part < parts; part++) {
      leaves.push(
        this.leaf(Math.floor((part * this.count) / parts), Math.floor(((part + 1) * this.count) / parts)),
      );
    }
    return leaves;
  }

  private leaf(from: number, to: number): Leaf {
    const slots = this.slots.slice(from * SLOTS, to * SLOTS);
    let length = 0;
    let lineFeeds = 0;
    for (let i = 0; i < to - from; i++) {
      length += slots[i * SLOTS + 1]!;
      lineFeeds += slots[i * SLOTS + 2]!;
    }
    return new Leaf(slots, length, lineFeeds);
  }
}

function makeBranch(children: PieceNode[]): Branch {
  let length = 0;
  let lineFeeds = 0;
  for (const child of children) {
    length += child.length;
    lineFeeds += child.lineFeeds;
  }
  return new Branch(children, children[0]!.height + 1, length, lineFeeds);
}

/** Children as one branch, or two of about equal size when there are too many for one. */
function branchesOf(children: PieceNode[]): Branch[] {
  if (children.length <= BRANCH_MAX) return [makeBranch(children)];
  const half = children.length >> 1;
  return [makeBranch(children.slice(0, half)), makeBranch(children.slice(half))];
}

/**
 * LF counts of the two parts of a piece split `at` bytes into it, each NaN if not cheap to get.
 * When the whole piece's count is known, one cheap part gives the other by subtraction.
 */
function splitLineFeeds(
  source: LineFeedSource,
  buffer: BufferId,
  start: number,
  length: number,
  lineFeeds: number,
  at: number,
): [number, number] {
  let left = source.tryCount(buffer, start, start + at);
  let right =
    Number.isNaN(left) || Number.isNaN(lineFeeds) ? source.tryCount(buffer, start + at, start + length) : NaN;
  if (!Number.isNaN(left) && !Number.isNaN(lineFeeds)) right = lineFeeds - left;
  else if (Number.isNaN(left) && !Number.isNaN(right) && !Number.isNaN(lineFeeds)) left = lineFeeds - right;
  return [left, right];
}

// ---------------------------------------------------------------------------------------------
// Insert

/** Returns a new root with `pieces` inserted at `offset` (0 ≤ offset ≤ root.length). */
export function insertPieces(
  root: PieceNode,
  offset: number,
  pieces: PieceList,
  source: LineFeedSource,
): PieceNode {
  const result = insertInto(root, offset, pieces, source);
  return result.length === 1 ? result[0]! : makeBranch(result);
}

function insertInto(node: PieceNode, offset: number, pieces: PieceList, source: LineFeedSource): PieceNode[] {
  if (node instanceof Leaf) return insertIntoLeaf(node, offset, pieces, source);
  const children = node.children;
  // An offset on a boundary goes to the end of the left child: typing after a piece extends it.
  let index = 0;
  let position = 0;
  while (index < children.length - 1 && offset > position + children[index]!.length) {
    position += children[index]!.length;
    index++;
  }
  const replaced = insertInto(children[index]!, offset - position, pieces, source);
  const next = children.slice();
  next.splice(index, 1, ...replaced);
  return branchesOf(next);
}

function insertIntoLeaf(leaf: Leaf, offset: number, pieces: PieceList, source: LineFeedSource): Leaf[] {
  const slots = leaf.slots;
  const count = leaf.pieceCount;
  const list = new PieceList();
  let position = 0;
  let index = 0;
  // Pieces that end at or before offset are kept as they are.
  while (index < count && position + lengthOf(slots, index) <= offset) {
    position += lengthOf(slots, index);
    list.pushFrom(slots, index++);
  }
  if (index < count && position < offset) {
    // offset falls inside piece `index`: split it around the new pieces.
    const buffer = bufferOf(slots, index);
    const start = startOf(slots, index);
    const length = lengthOf(slots, index);
    const at = offset - position;
    const [left, right] = splitLineFeeds(source, buffer, start, length, lineFeedsOf(slots, index), at);
    list.push(buffer, start, at, left);
    for (let i = 0; i < pieces.count; i++) list.pushFrom(pieces.slots, i);
    list.push(buffer, start + at, length - at, right);
    index++;
  } else {
    for (let i = 0; i < pieces.count; i++) list.pushFrom(pieces.slots, i);
  }
  for (; index < count; index++) list.pushFrom(slots, index);
  return list.toLeaves();
}

/** A list of pieces to insert, or to build a tree from. */
export function pieceList(): PieceList {
  return new PieceList();
}
export type { PieceList };

// ---------------------------------------------------------------------------------------------
// Delete

/** Returns a new root without bytes [start, end). */
export function deleteRange(root: PieceNode, start: number, end: number, source: LineFeedSource): PieceNode {
  if (start >= end) return root;
  const kept = deleteFrom(root, start, end, source);
  let result: PieceNode = kept.length === 0 ? EMPTY_TREE : kept.length === 1 ? kept[0]! : makeBranch(kept);
  while (result instanceof Branch && result.children.length === 1) result = result.children[0]!;
  return result;
}

/** What is left of node without [start, end): no node, one, or two (a split piece overflowed). */
function deleteFrom(node: PieceNode, start: number, end: number, source: LineFeedSource): PieceNode[] {
  if (node instanceof Leaf) {
    const slots = node.slots;
    const count = node.pieceCount;
    const list = new PieceList();
    let position = 0;
    for (let index = 0; index < count; index++) {
      const length = lengthOf(slots, index);
      const pieceEnd = position + length;
      if (pieceEnd <= start || position >= end) {
        list.pushFrom(slots, index);
      } else if (position < start || pieceEnd > end) {
        // Partly deleted: keep the part before start and/or the part after end.
        const buffer = bufferOf(slots, index);
        const pieceStart = startOf(slots, index);
        const lineFeeds = lineFeedsOf(slots, index);
        const keepBefore = Math.max(0, start - position);
        const keepAfterFrom = Math.min(length, end - position);
        if (keepBefore > 0) {
          const [left] = splitLineFeeds(source, buffer, pieceStart, length, lineFeeds, keepBefore);
          list.push(buffer, pieceStart, keepBefore, left);
        }
        if (keepAfterFrom < length) {
          const [, right] = splitLineFeeds(source, buffer, pieceStart, length, lineFeeds, keepAfterFrom);
          list.push(buffer, pieceStart + keepAfterFrom, length - keepAfterFrom, right);
        }
      }
      position = pieceEnd;
    }
    return list.count === 0 ? [] : list.toLeaves();
  }
  const children: PieceNode[] = [];
  let position = 0;
  for (const child of node.children) {
    const childEnd = position + child.length;
    if (childEnd <= start || position >= end) {
      children.push(child);
    } else if (!(start <= position && childEnd <= end)) {
      children.push(
        ...deleteFrom(child, Math.max(0, start - position), Math.min(child.length, end - position), source),
      );
    }
    position = childEnd;
  }
  if (children.length === 0) return [];
  mergeUnderfull(children);
  return branchesOf(children);
}

function isUnderfull(node: PieceNode): boolean {
  return node instanceof Leaf ? node.pieceCount < LEAF_MIN : node.children.length < BRANCH_MIN;
}

/**
 * Merges underfull children with a neighbour until none is left (or only one child remains).
 * A merge yields one node, or two that are each at least half full, so this ends.
 */
function mergeUnderfull(children: PieceNode[]): void {
  let index = 0;
  while (children.length > 1 && index < children.length) {
    if (!isUnderfull(children[index]!)) {
      index++;
      continue;
    }
    const left = index + 1 < children.length ? index : index - 1;
    const merged = mergeNodes(children[left]!, children[left + 1]!);
    children.splice(left, 2, ...merged);
    index = left;
  }
}

/** Two adjacent nodes of the same height as one node, or two balanced ones. */
function mergeNodes(a: PieceNode, b: PieceNode): PieceNode[] {
  if (a instanceof Leaf && b instanceof Leaf) {
    const list = new PieceList();
    for (let i = 0; i < a.pieceCount; i++) list.pushFrom(a.slots, i);
    for (let i = 0; i < b.pieceCount; i++) list.pushFrom(b.slots, i);
    if (list.count <= LEAF_MAX) return list.toLeaves();
    const half = list.count >> 1;
    const slots = list.slots;
    const first = new PieceList();
    const second = new PieceList();
    for (let i = 0; i < half; i++) first.pushFrom(slots, i);
    for (let i = half; i < list.count; i++) second.pushFrom(slots, i);
    return [...first.toLeaves(), ...second.toLeaves()];
  }
  // A node cut by a delete may hang on by one underfull child: the children that meet here are
  // merged in turn, down to the leaves, so no node below the root stays underfull.
  const children = [...(a as Branch).children, ...(b as Branch).children];
  mergeUnderfull(children);
  return branchesOf(children);
}

// ---------------------------------------------------------------------------------------------
// Bulk building

/** Builds a tree from pieces pushed in document order, in O(pieces). */
export class TreeBuilder {
  private leaves: PieceNode[] = [];
  private current = new PieceList();

  push(buffer: BufferId, start: number, length: number, lineFeeds: number): void {
    this.current.push(buffer, start, length, lineFeeds);
    if (this.current.count >= LEAF_FILL) this.flush();
  }

  finish(): PieceNode {
    this.flush();
    let level = this.leaves;
    this.leaves = [];
    if (level.length === 0) return EMPTY_TREE;
    while (level.length > 1) {
      const next: PieceNode[] = [];
      for (let i = 0; i < level.length; i += BRANCH_FILL) {
        next.push(makeBranch(level.slice(i, i + BRANCH_FILL)));
      }
      // The last node may be underfull: share with its left neighbour.
      if (next.length > 1 && isUnderfull(next[next.length - 1]!)) {
        const last = next.pop()!;
        const previous = next.pop()!;
        next.push(...mergeNodes(previous, last));
      }
      level = next;
    }
    return level[0]!;
  }

  private flush(): void {
    if (this.current.count === 0) return;
    const leaf = this.current.toLeaves()[0]!;
    const previous = this.leaves[this.leaves.length - 1];
    if (previous instanceof Leaf && (isUnderfull(leaf) || isUnderfull(previous))) {
      this.leaves.pop();
      this.leaves.push(...mergeNodes(previous, leaf));
    } else {
      this.leaves.push(leaf);
    }
    this.current = new PieceList();
  }
}

/** A tree holding one piece (or none, for length 0). */
export function singlePieceTree(
  buffer: BufferId,
  start: number,
  length: number,
  lineFeeds: number,
): PieceNode {
  const builder = new TreeBuilder();
  builder.push(buffer, start, length, lineFeeds);
  return builder.finish();
}

// ---------------------------------------------------------------------------------------------
// Reading and navigation

/**
 * Calls visit for each piece slice overlapping [start, end), in order, with the buffer range of
 * the slice and its document offset. visit returns false to stop.
 */
export function forEachPiece(
  node: PieceNode,
  start: number,
  end: number,
  visit: (
    buffer: BufferId,
    bufferStart: number,
    bufferEnd: number,
    documentOffset: number,
  ) => boolean | undefined,
  base = 0,
): boolean {
  if (node instanceof Leaf) {
    const slots = node.slots;
    let position = base;
    for (let index = 0; index < node.pieceCount; index++) {
      const length = lengthOf(slots, index);
      const pieceEnd = position + length;
      if (pieceEnd > start && position < end) {
        const from = Math.max(start, position);
        const to = Math.min(end, pieceEnd);
        const pieceStart = startOf(slots, index);
        if (
          visit(bufferOf(slots, index), pieceStart + from - position, pieceStart + to - position, from) ===
          false
        ) {
          return false;
        }
      }
      if (pieceEnd >= end) return true;
      position = pieceEnd;
    }
    return true;
  }
  let position = base;
  for (const child of node.children) {
    const childEnd = position + child.length;
    if (childEnd > start && position < end) {
      if (!forEachPiece(child, start, end, visit, position)) return false;
    }
    if (childEnd >= end) return true;
    position = childEnd;
  }
  return true;
}

/** Fills in every unknown LF count under node (scanning as needed); returns node.lineFeeds. */
export function resolveLineFeeds(node: PieceNode, source: LineFeedSource): number {
  if (!Number.isNaN(node.lineFeeds)) return node.lineFeeds;
  let total = 0;
  if (node instanceof Leaf) {
    const slots = node.slots;
    for (let index = 0; index < node.pieceCount; index++) {
      let lineFeeds = lineFeedsOf(slots, index);
      if (Number.isNaN(lineFeeds)) {
        const start = startOf(slots, index);
        lineFeeds = source.count(bufferOf(slots, index), start, start + lengthOf(slots, index));
        slots[index * SLOTS + 2] = lineFeeds;
      }
      total += lineFeeds;
    }
  } else {
    for (const child of node.children) total += resolveLineFeeds(child, source);
  }
  node.lineFeeds = total;
  return total;
}

/** Number of LF bytes in [0, offset) of the document. */
export function lineFeedsBefore(root: PieceNode, offset: number, source: LineFeedSource): number {
  let node = root;
  let remaining = offset;
  let total = 0;
  while (node instanceof Branch) {
    let index = 0;
    for (; index < node.children.length - 1; index++) {
      const child = node.children[index]!;
      if (remaining < child.length) break;
      remaining -= child.length;
      total += resolveLineFeeds(child, source);
    }
    node = node.children[index]!;
  }
  const slots = node.slots;
  for (let index = 0; index < node.pieceCount && remaining > 0; index++) {
    const length = lengthOf(slots, index);
    const buffer = bufferOf(slots, index);
    const start = startOf(slots, index);
    if (remaining >= length) {
      let lineFeeds = lineFeedsOf(slots, index);
      if (Number.isNaN(lineFeeds)) {
        lineFeeds = source.count(buffer, start, start + length);
        slots[index * SLOTS + 2] = lineFeeds;
      }
      total += lineFeeds;
      remaining -= length;
    } else {
      total += source.count(buffer, start, start + remaining);
      remaining = 0;
    }
  }
  return total;
}

/**
 * Document offset of the n-th (0-based) LF, or -1 if the document has n or fewer. Walks left to
 * right through subtrees whose count is unknown, scanning only as far as the answer, so the first
 * lines of a huge file are found before its line index is built.
 */
export function findLineFeed(root: PieceNode, n: number, source: LineFeedSource): number {
  return findIn(root, n, source, 0);
}

function findIn(node: PieceNode, n: number, source: LineFeedSource, base: number): number {
  if (node instanceof Branch) {
    let remaining = n;
    let position = base;
    for (const child of node.children) {
      if (Number.isNaN(child.lineFeeds)) {
        const found = findIn(child, remaining, source, position);
        if (found >= 0) return found;
        // Not found: the child was scanned through, so its count is known now.
      } else if (remaining < child.lineFeeds) {
        return findIn(child, remaining, source, position);
      }
      remaining -= child.lineFeeds;
      position += child.length;
    }
    memoiseBranch(node);
    return -1;
  }
  const slots = node.slots;
  let remaining = n;
  let position = base;
  for (let index = 0; index < node.pieceCount; index++) {
    const length = lengthOf(slots, index);
    const buffer = bufferOf(slots, index);
    const start = startOf(slots, index);
    let lineFeeds = lineFeedsOf(slots, index);
    if (Number.isNaN(lineFeeds)) {
      const found = source.nthLineFeed(buffer, start, start + length, remaining);
      if (found >= 0) return position + found - start;
      lineFeeds = source.count(buffer, start, start + length);
      slots[index * SLOTS + 2] = lineFeeds;
    } else if (remaining < lineFeeds) {
      return position + source.nthLineFeed(buffer, start, start + length, remaining) - start;
    }
    remaining -= lineFeeds;
    position += length;
  }
  let total = 0;
  for (let index = 0; index < node.pieceCount; index++) total += lineFeedsOf(slots, index);
  node.lineFeeds = total;
  return -1;
}

function memoiseBranch(node: Branch): void {
  let total = 0;
  for (const child of node.children) total += child.lineFeeds;
  node.lineFeeds = total;
}

/** Number of pieces in the tree. */
export function countPieces(node: PieceNode): number {
  if (node instanceof Leaf) return node.pieceCount;
  let total = 0;
  for (const child of node.children) total += countPieces(child);
  return total;
}

/**
 * Internal: checks the invariants; throws describing the first one broken. For tests. With a
 * source, every known piece count is also checked against the buffers.
 */
export function checkTree(root: PieceNode, source?: LineFeedSource): void {
  const checkLineFeeds = (node: PieceNode, sum: number, what: string): void => {
    // A known count is the sum of the parts (all known); an unknown one is only ever filled in.
    if (!Number.isNaN(node.lineFeeds) && !(node.lineFeeds >= 0 && node.lineFeeds === sum))
      throw new Error(`${what} line feeds ${node.lineFeeds} but its parts sum to ${sum}`);
  };
  const visit = (node: PieceNode, isRoot: boolean): void => {
    if (node instanceof Leaf) {
      let length = 0;
      let lineFeeds = 0;
      for (let i = 0; i < node.pieceCount; i++) {
        const [start, pieceLength, known] = [
          startOf(node.slots, i),
          lengthOf(node.slots, i),
          lineFeedsOf(node.slots, i),
        ];
        if (!(pieceLength > 0)) throw new Error(`piece ${i} has length ${pieceLength}`);
        length += pieceLength;
        const counted = source?.count(bufferOf(node.slots, i), start, start + pieceLength);
        if (!Number.isNaN(known) && counted !== undefined && known !== counted)
          throw new Error(`piece ${i} line feeds ${known} but its bytes hold ${counted}`);
        lineFeeds += known;
      }
      if (length !== node.length) throw new Error(`leaf length ${node.length} but pieces sum to ${length}`);
      checkLineFeeds(node, lineFeeds, "leaf");
      if (!isRoot && node.pieceCount < LEAF_MIN)
        throw new Error(`leaf below the root with ${node.pieceCount} pieces`);
      if (node.pieceCount > LEAF_MAX) throw new Error(`leaf with ${node.pieceCount} pieces`);
      return;
    }
    const fewest = isRoot ? 2 : BRANCH_MIN;
    if (node.children.length < fewest || node.children.length > BRANCH_MAX) {
      throw new Error(`${isRoot ? "root" : "branch"} with ${node.children.length} children`);
    }
    let length = 0;
    let lineFeeds = 0;
    for (const child of node.children) {
      if (child.height !== node.height - 1)
        throw new Error(`child height ${child.height} under ${node.height}`);
      visit(child, false);
      length += child.length;
      lineFeeds += child.lineFeeds;
    }
    if (length !== node.length) throw new Error(`branch length ${node.length} but children sum to ${length}`);
    checkLineFeeds(node, lineFeeds, "branch");
  };
  visit(root, true);
}

// ---------------------------------------------------------------------------------------------
// Rebuilding saved trees (the session store)

/**
 * Internal: a leaf from pieces as the session store saves them — [buffer, start, length] triples,
 * line-feed counts unknown. Checks nothing but computes the aggregates.
 */
export function leafFromPieces(pieces: readonly number[]): Leaf {
  const slots: number[] = [];
  let length = 0;
  for (let i = 0; i < pieces.length; i += 3) {
    const buffer = pieces[i] === ADDED ? ADDED : ORIGINAL;
    slots.push(encodeStart(buffer, pieces[i + 1]!), pieces[i + 2]!, Number.NaN);
    length += pieces[i + 2]!;
  }
  return new Leaf(slots, length, pieces.length === 0 ? 0 : Number.NaN);
}

/** Internal: a leaf's pieces as [buffer, start, length] triples (what the session store saves). */
export function piecesOfLeaf(leaf: Leaf): number[] {
  const out: number[] = [];
  for (let i = 0; i < leaf.pieceCount; i++)
    out.push(bufferOf(leaf.slots, i), startOf(leaf.slots, i), lengthOf(leaf.slots, i));
  return out;
}

/** The piece of a tree that is one piece, or null (an empty tree, or several pieces). */
export function onlyPiece(root: PieceNode): { buffer: BufferId; start: number; length: number } | null {
  if (!(root instanceof Leaf) || root.pieceCount !== 1) return null;
  return { buffer: bufferOf(root.slots, 0), start: startOf(root.slots, 0), length: lengthOf(root.slots, 0) };
}

/** Internal: a branch over saved children, or null if their heights disagree. */
export function branchFromChildren(children: PieceNode[]): Branch | null {
  if (children.length === 0 || children.length > BRANCH_MAX) return null;
  const height = children[0]!.height;
  if (!children.every((child) => child.height === height)) return null;
  return makeBranch(children);
}

// ---------------------------------------------------------------------------------------------
// Comparing versions

/**
 * Bytes at the start of `a` and `b` that certainly map to the same buffer bytes, found by
 * skipping the subtrees the two versions share (path copying leaves all but one path shared).
 * A lower bound of the first difference, in O(height × branch) steps.
 */
function sharedPrefixBytes(a: PieceNode, b: PieceNode): number {
  if (a === b) return a.length;
  if (a instanceof Leaf || b instanceof Leaf || a.height !== b.height) return 0;
  let shared = 0;
  const count = Math.min(a.children.length, b.children.length);
  for (let i = 0; i < count; i++) {
    const childA = a.children[i]!;
    const childB = b.children[i]!;
    if (childA !== childB) return shared + sharedPrefixBytes(childA, childB);
    shared += childA.length;
  }
  return shared;
}

/** Pieces this many at a time when two versions are compared piece by piece. */
const COMPARE_BATCH = 256;

/** Up to COMPARE_BATCH piece slices of root from `from`: [buffer, bufferStart, bufferEnd, at] each. */
function sliceBatch(root: PieceNode, from: number): number[] {
  const out: number[] = [];
  forEachPiece(root, from, root.length, (buffer, bufferStart, bufferEnd, at) => {
    out.push(buffer, bufferStart, bufferEnd, at);
    return out.length < COMPARE_BATCH * 4;
  });
  return out;
}

/**
 * The first byte offset at which versions `a` and `b` (of one document, over the same buffers)
 * differ — where an undo or redo happened — or -1 if they read the same bytes from the same
 * places. Shared subtrees are skipped; the rest is compared piece by piece.
 */
export function firstDifference(a: PieceNode, b: PieceNode): number {
  let position = sharedPrefixBytes(a, b);
  const common = Math.min(a.length, b.length);
  while (position < common) {
    const slicesA = sliceBatch(a, position);
    const slicesB = sliceBatch(b, position);
    let i = 0;
    let j = 0;
    while (i < slicesA.length && j < slicesB.length && position < common) {
      // Where `position` falls in the current slice of each version.
      const startA = slicesA[i + 1]! + (position - slicesA[i + 3]!);
      const startB = slicesB[j + 1]! + (position - slicesB[j + 3]!);
      if (slicesA[i] !== slicesB[j] || startA !== startB) return position;
      const step = Math.min(slicesA[i + 2]! - startA, slicesB[j + 2]! - startB);
      position += step;
      if (startA + step === slicesA[i + 2]) i += 4;
      if (startB + step === slicesB[j + 2]) j += 4;
    }
  }
  return a.length === b.length ? -1 : common;
}
