/** Where lake files go: a local directory or an S3 bucket. Keys are relative ('table/p=v/table.parquet'). */
export interface LakeTarget {
  /** A local path to write a file to before it is placed. */
  tempPath(key: string): string;
  /** Moves (or uploads) a written file to its key, whole: readers see the old file or the new one. */
  place(temp: string, key: string): Promise<number>;
  /** Keys under a prefix. */
  list(prefix: string): Promise<string[]>;
  remove(key: string): Promise<void>;
  /** A local file with a key's contents, to read (an erasure rewrites files): the file itself when local. */
  fetch(key: string): Promise<string>;
  /** The URI of a key's directory (for ALTER TABLE … LOCATION and CREATE TABLE … LOCATION). */
  uri(key: string): string;
}
