import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { LakeConfig } from './config.js';

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

/** Opens the configured target. */
export function openTarget(lake: LakeConfig, baseDir: string): LakeTarget {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(lake.target);
  if (m) return new S3Target(m[1]!, m[2]!.replace(/\/$/, ''), lake.s3);
  return new LocalTarget(path.resolve(baseDir, lake.target));
}

class LocalTarget implements LakeTarget {
  constructor(private readonly root: string) {}

  tempPath(key: string): string {
    const full = path.join(this.root, key);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    // Leftovers of a crashed run are removed first; a dot-name is never read as the table's file.
    for (const f of fs.readdirSync(path.dirname(full)))
      if (f.startsWith(`.${path.basename(full)}.tmp-`))
        fs.rmSync(path.join(path.dirname(full), f), { recursive: true, force: true });
    return path.join(path.dirname(full), `.${path.basename(full)}.tmp-${process.pid}`);
  }

  async place(temp: string, key: string): Promise<number> {
    const full = path.join(this.root, key);
    fs.renameSync(temp, full);
    return fs.statSync(full).size;
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    const start = path.join(this.root, prefix);
    const walk = (dir: string) => {
      if (!fs.existsSync(dir)) return;
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) walk(full);
        else out.push(path.relative(this.root, full).split(path.sep).join('/'));
      }
    };
    walk(start);
    return out;
  }

  async remove(key: string): Promise<void> {
    fs.rmSync(path.join(this.root, key), { force: true });
  }

  async fetch(key: string): Promise<string> {
    return path.join(this.root, key);
  }

  uri(key: string): string {
    return path.join(this.root, key);
  }
}

/** S3 (or an S3-compatible server): credentials from the usual AWS environment and profile files. */
class S3Target implements LakeTarget {
  private readonly client: S3Client;
  private readonly tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pmx-lake-'));

  constructor(
    private readonly bucket: string,
    private readonly base: string,
    s3?: LakeConfig['s3'],
  ) {
    this.client = new S3Client({
      ...(s3?.region ? { region: s3.region } : { region: process.env.AWS_REGION ?? 'us-east-1' }),
      ...(s3?.endpoint ? { endpoint: s3.endpoint } : {}),
      forcePathStyle: s3?.forcePathStyle ?? Boolean(s3?.endpoint),
    });
  }

  private full(key: string): string {
    return this.base ? `${this.base}/${key}` : key;
  }

  tempPath(key: string): string {
    return path.join(this.tmp, `${key.replaceAll('/', '__')}.tmp-${process.pid}`);
  }

  async place(temp: string, key: string): Promise<number> {
    const size = fs.statSync(temp).size;
    // Multipart for large files (lib-storage splits above 5 MB); the object appears only when complete.
    await new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: this.full(key), Body: fs.createReadStream(temp) },
    }).done();
    fs.rmSync(temp, { force: true });
    return size;
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const res = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.full(prefix),
          ContinuationToken: token,
        }),
      );
      for (const o of res.Contents ?? [])
        if (o.Key) out.push(this.base ? o.Key.slice(this.base.length + 1) : o.Key);
      token = res.NextContinuationToken;
    } while (token);
    return out;
  }

  async remove(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.full(key) }));
  }

  async fetch(key: string): Promise<string> {
    const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.full(key) }));
    const file = path.join(this.tmp, `${key.replaceAll('/', '__')}.read-${process.pid}`);
    fs.writeFileSync(file, await res.Body!.transformToByteArray());
    return file;
  }

  uri(key: string): string {
    return `s3://${this.bucket}/${this.full(key)}`;
  }
}
