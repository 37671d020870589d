import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { parquetReadObjects } from 'hyparquet';
import S3rver from 's3rver';
import { expect, it } from 'vitest';
import { Forget } from '../src/forget/service.js';
import { FORGET_YAML, seedEverywhere } from './support/forget-scenario.js';
import { runtimeFactories } from './support/runtimes.js';
import { tempDir } from './support/temp.js';

// The lake on S3 (s3rver, offline): the subject's partition files are rewritten or removed in the bucket.
it("rewrites the lake's affected partitions on S3, read back by an independent Parquet reader", async () => {
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: tempDir(),
    configureBuckets: [{ name: 'lake', configs: [] }],
  });
  const { port } = (await server.run()) as { port: number };
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  const endpoint = `http://127.0.0.1:${port}`;
  const yaml = FORGET_YAML.replace(
    '  target: ./lake\n',
    `  target: s3://lake/warehouse\n  s3: { endpoint: "${endpoint}", region: us-east-1 }\n`,
  );
  const { runtime } = await runtimeFactories()[0]!.create(yaml);
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true });
  const lake = async () => {
    const out: Record<string, unknown[]> = {};
    const list = await client.send(new ListObjectsV2Command({ Bucket: 'lake' }));
    for (const o of list.Contents ?? []) {
      const obj = await client.send(new GetObjectCommand({ Bucket: 'lake', Key: o.Key! }));
      const bytes = await obj.Body!.transformToByteArray();
      const rows = await parquetReadObjects({
        file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      });
      out[o.Key!] = rows.map((r) => r.subject).sort();
    }
    return out;
  };
  try {
    await seedEverywhere(runtime);
    expect(await lake()).toEqual({
      'warehouse/events/type=order_placed/events.parquet': ['u-42'],
      'warehouse/events/type=page_viewed/events.parquet': ['u-42', 'u-7'],
      'warehouse/events/type=signup/events.parquet': ['u-42', 'u-7'],
    });
    const d = await (await Forget.of(runtime)).runToEnd({ subject: 'u-42', suppress: true });
    expect(d.counts.lake).toBe(3);
    // A file that held only the subject's rows is gone; the others hold everyone else's.
    expect(await lake()).toEqual({
      'warehouse/events/type=page_viewed/events.parquet': ['u-7'],
      'warehouse/events/type=signup/events.parquet': ['u-7'],
    });
  } finally {
    await runtime.close();
    await server.close();
  }
});
