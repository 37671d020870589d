import os from 'node:os';
import {
  BIGINT,
  BOOLEAN,
  DOUBLE,
  type DuckDBDataChunk,
  INTEGER,
  TIMESTAMPTZ,
  VARCHAR,
} from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';

// The bytes are written little-endian, as DuckDB lays them out on every platform its node bindings ship for.
if (os.endianness() !== 'LE') throw new Error('the DuckDB vector writer needs a little-endian machine');

const TWO_32 = 2 ** 32;
// duckdb.h's duckdb_string_t: 16 bytes, a uint32 length then, up to 12 bytes long, the string itself.
const STRING_WIDTH = 16;
const INLINE_MAX = 12;

/**
 * One column of a data chunk, its bytes built in a buffer of our own and copied into the vector in one call.
 * 64-bit integers and timestamps go in as two 32-bit halves of a JavaScript number (no BigInt, no value object
 * each); strings of at most 12 ASCII characters are written inline in their string_t, as DuckDB stores them,
 * and only longer ones cross into DuckDB, once each. The node API's setColumnValues crossed once per string
 * and made a BigInt per 64-bit value: for 2M rows of two integers, two short strings and a timestamp, 2.3 s
 * of the main thread against 0.8 s.
 */
export class VectorWriter {
  private readonly bytes: Uint8Array<ArrayBuffer>;
  private readonly view: DataView;
  private validity: Uint8Array<ArrayBuffer> | undefined;
  // Strings too long to inline, set after the copy (which would overwrite them).
  private readonly longRows: number[] = [];
  private readonly longValues: string[] = [];

  constructor(
    private readonly chunk: DuckDBDataChunk,
    private readonly column: number,
    kind: VectorKind,
    private readonly rows: number,
  ) {
    // Zeroed: duckdb.h asks for an inlined string's unused bytes to be zero.
    this.bytes = new Uint8Array(VECTOR_KINDS[kind].width * rows);
    this.view = new DataView(this.bytes.buffer);
  }

  setNull(row: number): void {
    this.validity ??= new Uint8Array(Math.ceil(this.rows / 64) * 8).fill(0xff);
    this.validity[row >> 3]! &= ~(1 << (row & 7));
  }

  /** A 64-bit integer given as a safe integer (|n| < 2^53). */
  setInt64(row: number, n: number): void {
    const high = Math.floor(n / TWO_32);
    this.view.setUint32(row * 8, n - high * TWO_32, true);
    this.view.setInt32(row * 8 + 4, high, true);
  }

  setBigInt64(row: number, n: bigint): void {
    this.view.setBigInt64(row * 8, n, true);
  }

  setInt32(row: number, n: number): void {
    this.view.setInt32(row * 4, n, true);
  }

  setDouble(row: number, n: number): void {
    this.view.setFloat64(row * 8, n, true);
  }

  setBoolean(row: number, b: boolean): void {
    this.bytes[row] = b ? 1 : 0;
  }

  setVarchar(row: number, s: string): void {
    const length = s.length;
    if (length <= INLINE_MAX) {
      const at = row * STRING_WIDTH + 4;
      let k = 0;
      for (; k < length; k++) {
        const c = s.charCodeAt(k);
        if (c > 0x7f) break;
        this.bytes[at + k] = c;
      }
      if (k === length) {
        this.view.setUint32(row * STRING_WIDTH, length, true);
        return;
      }
      // Not ASCII: assigned whole after the copy, these bytes with it.
    }
    this.longRows.push(row);
    this.longValues.push(s);
  }

  /** Copies the column into the chunk's vector. */
  flush(): void {
    const vector = duckdb.data_chunk_get_vector(this.chunk.chunk, this.column);
    duckdb.copy_data_to_vector(vector, 0, this.bytes.buffer, 0, this.bytes.byteLength);
    if (this.validity) {
      duckdb.vector_ensure_validity_writable(vector);
      duckdb.copy_data_to_vector_validity(vector, 0, this.validity.buffer, 0, this.validity.byteLength);
    }
    for (let k = 0; k < this.longRows.length; k++)
      duckdb.vector_assign_string_element(vector, this.longRows[k]!, this.longValues[k]!);
  }
}

/** The column types a VectorWriter writes: each one's DuckDB type (its name in capitals is its SQL type) and bytes per value. */
export const VECTOR_KINDS = {
  varchar: { type: VARCHAR, width: STRING_WIDTH },
  bigint: { type: BIGINT, width: 8 },
  timestamptz: { type: TIMESTAMPTZ, width: 8 },
  double: { type: DOUBLE, width: 8 },
  integer: { type: INTEGER, width: 4 },
  boolean: { type: BOOLEAN, width: 1 },
} as const;

export type VectorKind = keyof typeof VECTOR_KINDS;
