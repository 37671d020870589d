import fs from 'node:fs';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { parquetReadObjects } from 'hyparquet';
import { pino } from 'pino';
import S3rver from 's3rver';
import { expect, it } from 'vitest';
import { createRuntime } from '../src/compose.js';
import { parseConfig } from '../src/config/load.js';
import { extractAndLoad } from '../src/lake/extract-load.js';
import { tempDir } from './support/temp.js';

// An S3-compatible server started by the test (s3rver runs offline); credentials come from the environment.
it('uploads partitions to S3 and removes vanished ones on --force', async () => {
  const dir = tempDir();
  const s3dir = tempDir();
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: s3dir,
    configureBuckets: [{ name: 'lake', configs: [] }],
  });
  const { port } = (await server.run()) as { port: number };
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  const endpoint = `http://127.0.0.1:${port}`;
  const yaml = `store: { path: ./store.duckdb }
lake:
  target: s3://lake/warehouse
  s3: { endpoint: "${endpoint}", region: us-east-1 }
  datasources: { self: { type: store } }
  tables:
    events:
      datasources: [self]
      fields: { seq: bigint, id: text, type: text, time: timestamp }
      partitions: [type]
`;
  const runtime = await createRuntime(parseConfig(yaml), dir, pino({ level: 'silent' }));
  try {
    const t0 = Date.parse('2026-11-01T00:00:00Z');
    await runtime.committer.submit(
      Array.from({ length: 30 }, (_, i) => ({
        source: 's',
        id: `e${i}`,
        type: ['a b', 'c/d'][i % 2]!,
        subject: null,
        time: t0 + i,
        data: '{}',
        receivedAt: t0,
      })),
    );
    const run = await extractAndLoad(runtime, { force: true });
    expect(run.tables[0]!.partitions.map((p) => p.location)).toEqual([
      's3://lake/warehouse/events/type=a%20b',
      's3://lake/warehouse/events/type=c%2Fd',
    ]);
    const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true });
    const keys = async () =>
      ((await client.send(new ListObjectsV2Command({ Bucket: 'lake' }))).Contents ?? [])
        .map((o) => o.Key)
        .sort();
    expect(await keys()).toEqual([
      'warehouse/events/type=a%20b/events.parquet',
      'warehouse/events/type=c%2Fd/events.parquet',
    ]);
    const obj = await client.send(
      new GetObjectCommand({ Bucket: 'lake', Key: 'warehouse/events/type=c%2Fd/events.parquet' }),
    );
    const bytes = await obj.Body!.transformToByteArray();
    const rows = await parquetReadObjects({
      file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    });
    expect(rows).toHaveLength(15);
    // A type that no longer exists: --force removes its partition.
    await runtime.store.exec("DELETE FROM events WHERE type = 'a b'");
    await extractAndLoad(runtime, { force: true });
    expect(await keys()).toEqual(['warehouse/events/type=c%2Fd/events.parquet']);
    expect(fs.readdirSync(path.join(dir))).not.toContain('lake');
  } finally {
    await runtime.close();
    await server.close();
  }
});
