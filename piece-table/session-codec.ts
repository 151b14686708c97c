/**
 * The session log's payloads: a snapshot of a document's state (its tree and undo/redo versions,
 * shared nodes written once) and a delta of edits, encoded and decoded. Decoding checks every
 * piece against the buffers as committed: a record that does not fit throws CorruptRecordError.
 * (The records around these payloads, and the root slots, are session-format.ts.)
 */
import {
  ADDED,
  branchFromChildren,
  forEachPiece,
  Leaf,
  leafFromPieces,
  ORIGINAL,
  type PieceNode,
  piecesOfLeaf,
} from "./piece-tree.js";
import { ByteReader, ByteWriter, CorruptRecordError } from "./session-format.js";

/** An edit as the session log records it; replaying the log repeats the document's history. */
export type SessionOp =
  | { kind: "insert"; offset: number; addStart: number; length: number; newGroup: boolean }
  | { kind: "delete"; start: number; end: number; newGroup: boolean }
  | { kind: "replace"; start: number; end: number; addStart: number; length: number }
  | { kind: "undo" }
  | { kind: "redo" }
  /** A whole new tree (replaceAll): one undo step. */
  | { kind: "setRoot"; root: PieceNode };

/** The document state a snapshot holds: the tree and the undo/redo stacks (sharing nodes). */
export interface SessionState {
  root: PieceNode;
  undo: PieceNode[];
  redo: PieceNode[];
}

const OP_CODES = { insert: 1, delete: 2, replace: 3, undo: 4, redo: 5, setRoot: 6 } as const;

export function encodeSnapshot(state: SessionState): Buffer {
  const writer = new ByteWriter();
  const ids = new Map<PieceNode, number>();
  const nodes: PieceNode[] = [];
  // Post-order: children get ids before their parents, shared nodes are written once.
  const visit = (node: PieceNode): number => {
    const known = ids.get(node);
    if (known !== undefined) return known;
    if ("children" in node) for (const child of node.children) visit(child);
    ids.set(node, nodes.length);
    nodes.push(node);
    return nodes.length - 1;
  };
  const rootId = visit(state.root);
  const undoIds = state.undo.map(visit);
  const redoIds = state.redo.map(visit);
  writer.u32(nodes.length);
  for (const node of nodes) {
    if (!(node instanceof Leaf)) {
      writer.u8(1);
      writer.u32(node.children.length);
      for (const child of node.children) writer.u32(ids.get(child)!);
    } else {
      const pieces = piecesOfLeaf(node);
      writer.u8(0);
      writer.u32(pieces.length / 3);
      for (let i = 0; i < pieces.length; i += 3) {
        writer.u8(pieces[i]!);
        writer.f64(pieces[i + 1]!);
        writer.f64(pieces[i + 2]!);
      }
    }
  }
  writer.u32(rootId);
  writer.u32(undoIds.length);
  for (const id of undoIds) writer.u32(id);
  writer.u32(redoIds.length);
  for (const id of redoIds) writer.u32(id);
  return writer.finish();
}

/** Limits a decoded tree must respect: pieces inside the buffers as committed. */
export interface BufferBounds {
  originalSize: number;
  addLength: number;
}

export function decodeSnapshot(payload: Buffer, bounds: BufferBounds): SessionState {
  const reader = new ByteReader(payload);
  const nodeCount = reader.u32();
  if (nodeCount > payload.length) throw new CorruptRecordError("node count larger than the record");
  const nodes: PieceNode[] = [];
  for (let id = 0; id < nodeCount; id++) {
    const type = reader.u8();
    const count = reader.u32();
    if (count > payload.length) throw new CorruptRecordError("count larger than the record");
    if (type === 1) {
      const children: PieceNode[] = [];
      for (let i = 0; i < count; i++) {
        const child = reader.u32();
        if (child >= id) throw new CorruptRecordError("child written after its parent");
        children.push(nodes[child]!);
      }
      const branch = branchFromChildren(children);
      if (!branch) throw new CorruptRecordError("branch children of different heights");
      nodes.push(branch);
    } else if (type === 0) {
      nodes.push(leafFromPieces(readPieces(reader, count, bounds)));
    } else {
      throw new CorruptRecordError(`unknown node type ${type}`);
    }
  }
  const node = (id: number) => {
    if (id >= nodes.length) throw new CorruptRecordError(`node ${id} of ${nodes.length}`);
    return nodes[id]!;
  };
  const root = node(reader.u32());
  const undo = Array.from({ length: checkedCount(reader.u32(), nodes.length) }, () => node(reader.u32()));
  const redo = Array.from({ length: checkedCount(reader.u32(), nodes.length) }, () => node(reader.u32()));
  return { root, undo, redo };
}

/** `count` pieces as [buffer, start, length] triples, each checked against the buffers. */
function readPieces(reader: ByteReader, count: number, bounds: BufferBounds): number[] {
  const pieces: number[] = [];
  for (let i = 0; i < count; i++) {
    const buffer = reader.u8();
    const start = reader.count();
    const length = reader.count();
    checkPiece(buffer, start, length, bounds);
    pieces.push(buffer, start, length);
  }
  return pieces;
}

function checkedCount(count: number, limit: number): number {
  if (count > limit) throw new CorruptRecordError(`count ${count} above ${limit}`);
  return count;
}

function checkPiece(buffer: number, start: number, length: number, bounds: BufferBounds): void {
  if (buffer !== ORIGINAL && buffer !== ADDED) throw new CorruptRecordError(`unknown buffer ${buffer}`);
  const limit = buffer === ORIGINAL ? bounds.originalSize : bounds.addLength;
  if (length <= 0 || start + length > limit) {
    throw new CorruptRecordError(`piece ${start}+${length} outside a buffer of ${limit} bytes`);
  }
}

export function encodeOps(ops: SessionOp[]): Buffer {
  const writer = new ByteWriter();
  writer.u32(ops.length);
  for (const op of ops) {
    writer.u8(OP_CODES[op.kind]);
    switch (op.kind) {
      case "insert":
        writer.f64(op.offset);
        writer.f64(op.addStart);
        writer.f64(op.length);
        writer.u8(op.newGroup ? 1 : 0);
        break;
      case "delete":
        writer.f64(op.start);
        writer.f64(op.end);
        writer.u8(op.newGroup ? 1 : 0);
        break;
      case "replace":
        writer.f64(op.start);
        writer.f64(op.end);
        writer.f64(op.addStart);
        writer.f64(op.length);
        break;
      case "setRoot": {
        // The new tree as a flat piece list: it is rebuilt with the bulk builder.
        const pieces: number[] = [];
        collectPieces(op.root, pieces);
        writer.u32(pieces.length / 3);
        for (let i = 0; i < pieces.length; i += 3) {
          writer.u8(pieces[i]!);
          writer.f64(pieces[i + 1]!);
          writer.f64(pieces[i + 2]!);
        }
        break;
      }
      default:
        break;
    }
  }
  return writer.finish();
}

function collectPieces(root: PieceNode, out: number[]): void {
  forEachPiece(root, 0, root.length, (buffer, start, end) => {
    out.push(buffer, start, end - start);
    return true;
  });
}

/** A decoded setRoot op carries its pieces; the document rebuilds the tree from them. */
export interface SetRootPieces {
  kind: "setRootPieces";
  pieces: number[];
}
export type DecodedOp = Exclude<SessionOp, { kind: "setRoot" }> | SetRootPieces;

export function decodeOps(payload: Buffer, bounds: BufferBounds): DecodedOp[] {
  const reader = new ByteReader(payload);
  const count = checkedCount(reader.u32(), payload.length);
  const ops: DecodedOp[] = [];
  for (let i = 0; i < count; i++) {
    const code = reader.u8();
    if (code === OP_CODES.insert) {
      const op = {
        kind: "insert" as const,
        offset: reader.count(),
        addStart: reader.count(),
        length: reader.count(),
      };
      checkPiece(ADDED, op.addStart, op.length, bounds);
      ops.push({ ...op, newGroup: reader.u8() === 1 });
    } else if (code === OP_CODES.delete) {
      ops.push({ kind: "delete", start: reader.count(), end: reader.count(), newGroup: reader.u8() === 1 });
    } else if (code === OP_CODES.replace) {
      const op = {
        kind: "replace" as const,
        start: reader.count(),
        end: reader.count(),
        addStart: reader.count(),
        length: reader.count(),
      };
      if (op.length > 0) checkPiece(ADDED, op.addStart, op.length, bounds);
      ops.push(op);
    } else if (code === OP_CODES.undo) {
      ops.push({ kind: "undo" });
    } else if (code === OP_CODES.redo) {
      ops.push({ kind: "redo" });
    } else if (code === OP_CODES.setRoot) {
      const pieceCount = checkedCount(reader.u32(), payload.length);
      ops.push({ kind: "setRootPieces", pieces: readPieces(reader, pieceCount, bounds) });
    } else {
      throw new CorruptRecordError(`unknown edit code ${code}`);
    }
  }
  return ops;
}
