import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { LakeConfig } from './config.js';
import type { LakeTarget } from './lake-target.js';

/** S3 (or an S3-compatible server): credentials from the usual AWS environment and profile files. */
export class S3Target implements LakeTarget {
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
