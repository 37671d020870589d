import type { Readable, Transform } from 'node:stream';
import zlib from 'node:zlib';
import type { FastifyInstance } from 'fastify';

const DECODERS: Record<string, () => Transform> = {
  gzip: () => zlib.createGunzip(),
  'x-gzip': () => zlib.createGunzip(),
  deflate: () => zlib.createInflate(),
  br: () => zlib.createBrotliDecompress(),
};

/**
 * Request bodies sent compressed (Content-Encoding: gzip, deflate or br), as SDKs and log shippers do for
 * batches. The body limit (server.bodyLimit) counts the decompressed bytes, so a small compressed body
 * cannot expand past it; a body that does not decompress is a 400, an encoding we do not read a 415.
 */
export function decodeRequestBodies(app: FastifyInstance): void {
  // A callback hook, not an async one: it runs on every request, ingest's hot path included.
  app.addHook('preParsing', (req, _reply, payload, done) => {
    const header = req.headers['content-encoding'];
    if (header === undefined) return done(null, payload);
    const encoding = header.trim().toLowerCase();
    if (encoding === '' || encoding === 'identity') return done(null, payload);
    const make = DECODERS[encoding];
    if (!make) {
      return done(
        Object.assign(
          new Error(`Content-Encoding "${encoding}" is not supported; send gzip, deflate, br or none`),
          { statusCode: 415 },
        ),
      );
    }
    const decoded = make() as Transform & { receivedEncodedLength: number };
    // Fastify checks Content-Length against the bytes received on the wire, not the decompressed ones.
    decoded.receivedEncodedLength = 0;
    (payload as Readable).on('data', (chunk: Buffer) => {
      decoded.receivedEncodedLength += chunk.length;
    });
    (payload as Readable).on('error', (err) => decoded.destroy(err));
    decoded.on('error', (err: Error & { statusCode?: number; code?: string }) => {
      if (err.code?.startsWith('Z_') || err.code?.startsWith('ERR_')) {
        err.statusCode = 400;
        err.message = `the body is not valid ${encoding} (Content-Encoding): ${err.message}`;
      }
    });
    done(null, (payload as Readable).pipe(decoded));
  });
}
